package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"ebill/assets"
)

// deskTheme is Fyne's default look with the bundled CJK font for every text style, so Chinese
// renders the same on every machine (and in golden images) whatever fonts are installed.
type deskTheme struct{ fyne.Theme }

var bundledFont = fyne.NewStaticResource("wqy-microhei.ttf", assets.Font())

// Theme is the desk's theme.
func Theme() fyne.Theme { return deskTheme{theme.DefaultTheme()} }

func (deskTheme) Font(fyne.TextStyle) fyne.Resource { return bundledFont }

// Icon is the application icon.
var Icon = fyne.NewStaticResource("icon.png", assets.Icon())
