package render

import (
	"errors"
	"fmt"
	"sync"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/simplifiedchinese"

	"ebill/assets"
)

// runeSet is a set of runes of the Basic Multilingual Plane, the only plane fpdf can encode.
type runeSet [0x10000 / 64]uint64

func (s *runeSet) add(r rune) { s[r>>6] |= 1 << (r & 63) }

func (s *runeSet) has(r rune) bool { return r >= 0 && r < 0x10000 && s[r>>6]&(1<<(r&63)) != 0 }

// bundledFont is the bundled face, parsed once per process. fpdf parses a font again for
// every document, and its cost grows with the number of characters: the whole face (35,000)
// costs ~35 ms per bill. So bills whose text is all Latin and GB 2312 — nearly every bill —
// are drawn with a cut of the face holding only those (~7,800 characters, ~10 ms), and only
// the rare bill with other characters pays for the whole face.
type bundledFont struct {
	full, common     []byte  // fpdf-ready TrueType
	inFull, inCommon runeSet // what each one covers
	err              error
}

var bundled = sync.OnceValue(loadBundled)

func loadBundled() *bundledFont {
	bf := &bundledFont{full: assets.Font()}
	if err := assets.CheckTrueType(bf.full); err != nil {
		bf.err = fmt.Errorf("bundled font: %w", err)
		return bf
	}
	f, err := sfnt.Parse(bf.full)
	if err != nil {
		bf.err = fmt.Errorf("bundled font: %w", err)
		return bf
	}
	var buf sfnt.Buffer
	enc := simplifiedchinese.GBK.NewEncoder()
	var common []rune
	for r := rune(0x20); r < 0x10000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue // surrogates
		}
		if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
			continue
		}
		bf.inFull.add(r)
		if r < 0x250 || isGB2312(enc, r) {
			bf.inCommon.add(r)
			common = append(common, r)
		}
	}
	bf.common = fpdf.UTF8CutFont(bf.full, string(common))
	return bf
}

// isGB2312 reports whether r is in GB 2312: its GBK code has both bytes in A1–FE.
func isGB2312(enc interface{ Bytes([]byte) ([]byte, error) }, r rune) bool {
	b, err := enc.Bytes([]byte(string(r)))
	return err == nil && len(b) == 2 && b[0] >= 0xA1 && b[1] >= 0xA1
}

// face returns the bundled TrueType that covers every rune of texts that the bundled font has
// at all, preferring the small cut, and the set it covers.
func (bf *bundledFont) face(texts []string) ([]byte, *runeSet) {
	for _, s := range texts {
		for _, r := range s {
			if bf.inFull.has(r) && !bf.inCommon.has(r) {
				return bf.full, &bf.inFull
			}
		}
	}
	return bf.common, &bf.inCommon
}

// fallbackFont draws the characters the bundled font lacks as vector outlines. fpdf cannot
// embed a second face for them: it encodes text as UTF-16 without surrogates and reads
// only format-4 cmaps, so CJK Extension B (U+20000…) would come out as garbage. Outlines
// work for any plane and any font format x/image/font/sfnt reads (TrueType, CFF, collections).
type fallbackFont struct {
	f   *sfnt.Font
	buf sfnt.Buffer
}

func parseFallback(data []byte) (*fallbackFont, error) {
	f, err := sfnt.Parse(data)
	if err != nil {
		c, cerr := sfnt.ParseCollection(data)
		if cerr != nil {
			return nil, fmt.Errorf("fallback font: %w", err)
		}
		if f, err = c.Font(0); err != nil {
			return nil, fmt.Errorf("fallback font: %w", err)
		}
	}
	return &fallbackFont{f: f}, nil
}

func (fb *fallbackFont) has(r rune) bool {
	if fb == nil {
		return false
	}
	g, err := fb.f.GlyphIndex(&fb.buf, r)
	return err == nil && g != 0
}

// em is the ppem at which outlines are loaded: the font's own units, so no precision is
// lost before scaling to millimetres.
func (fb *fallbackFont) em() fixed.Int26_6 { return fixed.I(int(fb.f.UnitsPerEm())) }

// advance is the advance width of r at a font size of size mm.
func (fb *fallbackFont) advance(r rune, size float64) float64 {
	g, err := fb.f.GlyphIndex(&fb.buf, r)
	if err != nil {
		return 0
	}
	adv, err := fb.f.GlyphAdvance(&fb.buf, g, fb.em(), font.HintingNone)
	if err != nil {
		return 0
	}
	return float64(adv) / float64(fb.em()) * size
}

// draw fills the outline of r with its origin at (x, baseline), size mm high per em.
func (fb *fallbackFont) draw(pdf *fpdf.Fpdf, r rune, x, baseline, size float64) error {
	g, err := fb.f.GlyphIndex(&fb.buf, r)
	if err != nil {
		return fmt.Errorf("fallback font: %U: %w", r, err)
	}
	segs, err := fb.f.LoadGlyph(&fb.buf, g, fb.em(), nil)
	if err != nil {
		return fmt.Errorf("fallback font: %U: %w", r, err)
	}
	k := size / float64(fb.em())
	// sfnt's y axis points down, like the page's.
	pt := func(p fixed.Point26_6) (float64, float64) {
		return x + float64(p.X)*k, baseline + float64(p.Y)*k
	}
	open := false
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if open {
				pdf.ClosePath()
			}
			pdf.MoveTo(pt(s.Args[0]))
			open = true
		case sfnt.SegmentOpLineTo:
			pdf.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			cx, cy := pt(s.Args[0])
			ex, ey := pt(s.Args[1])
			pdf.CurveTo(cx, cy, ex, ey)
		case sfnt.SegmentOpCubeTo:
			c0x, c0y := pt(s.Args[0])
			c1x, c1y := pt(s.Args[1])
			ex, ey := pt(s.Args[2])
			pdf.CurveBezierCubicTo(c0x, c0y, c1x, c1y, ex, ey)
		}
	}
	if open {
		pdf.ClosePath()
		pdf.DrawPath("F")
	}
	return nil
}

// ErrMissingGlyph reports a character that neither the bundled font nor the fallback font
// can draw.
var ErrMissingGlyph = errors.New("character not in the font")

// missingRune is one character of a printed field that no font at hand can draw.
type missingRune struct {
	field string // the field's JSON path, e.g. payer.name or items[3].name
	r     rune
}

func (m missingRune) Error() string {
	return fmt.Sprintf("%s: character %q (%U) is not in the font", m.field, m.r, m.r)
}

func (m missingRune) Unwrap() error { return ErrMissingGlyph }

// missing lists, field by field, each character of fields that the bundled font lacks and
// fb (which may be nil) cannot draw either; each rune once per field.
func missing(bf *bundledFont, fb *fallbackFont, fields []field) []missingRune {
	var out []missingRune
	for _, f := range fields {
		seen := map[rune]bool{}
		for _, r := range f.value {
			if r < 0x20 || bf.inFull.has(r) || seen[r] || fb.has(r) {
				continue
			}
			seen[r] = true
			out = append(out, missingRune{f.path, r})
		}
	}
	return out
}
