package assets

import (
	"embed"
	_ "embed"
)

// Translations holds the desktop's messages, i18n/zh_Hans.json and i18n/en.json: flat
// objects from a message key to its text, in the format of fyne's lang package.
//
//go:embed i18n/*.json
var Translations embed.FS

//go:embed icon.png
var icon []byte

// Icon returns the application icon, a 256-pixel PNG. The slice is shared: do not modify it.
func Icon() []byte { return icon }
