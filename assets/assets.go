// Package assets holds the files ebill carries inside its binaries, so that a bill looks the
// same on every machine whatever fonts the system has.
//
// The font is WenQuanYi Micro Hei (文泉驿微米黑), one TrueType face with Latin, digits and
// the CJK characters of the Basic Multilingual Plane; the PDF e-bill and the desktop UI both
// use it:
//
//	pdf.AddUTF8FontFromBytes(assets.FontName, "", assets.Font())
//
// It is licensed under Apache-2.0 (fonts/LICENSE-wqy-microhei.txt). It has no CJK Extension
// B and beyond; package render takes a fallback font for those.
//
// The PDF library accepts only plain TrueType: an OpenType/CFF font or a collection (.ttc)
// loads without complaint and fails when the document is written. CheckTrueType catches that
// early, and this package refuses to start with a bad embedded font.
package assets

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
)

// FontName is the family name of the bundled font.
const FontName = "WenQuanYi Micro Hei"

//go:embed fonts/wqy-microhei.ttf
var font []byte

// ErrNotTrueType reports font data that is not a single TrueType face.
var ErrNotTrueType = errors.New("not a TrueType font")

func init() {
	// A wrong font is a build defect: say so at start-up rather than in the first PDF.
	if err := CheckTrueType(font); err != nil {
		panic(fmt.Sprintf("assets: embedded font fonts/wqy-microhei.ttf: %v", err))
	}
}

// Font returns the bundled TrueType font. The slice is shared: do not modify it.
func Font() []byte { return font }

// CheckTrueType returns nil when data starts like a single TrueType face (sfnt version
// 00 01 00 00 or "true") and an error wrapping ErrNotTrueType naming what it found
// otherwise.
func CheckTrueType(data []byte) error {
	if len(data) < 4 {
		return fmt.Errorf("%w: only %d bytes", ErrNotTrueType, len(data))
	}
	magic := data[:4]
	switch {
	case bytes.Equal(magic, []byte{0, 1, 0, 0}), string(magic) == "true":
		return nil
	case string(magic) == "OTTO":
		return fmt.Errorf("%w: OpenType with CFF outlines (OTTO)", ErrNotTrueType)
	case string(magic) == "ttcf":
		return fmt.Errorf("%w: a font collection (ttcf); extract one face", ErrNotTrueType)
	}
	return fmt.Errorf("%w: starts with %q", ErrNotTrueType, magic)
}
