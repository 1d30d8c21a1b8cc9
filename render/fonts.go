package render

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"ebill/app/bill"
	"ebill/assets"
)

// runeSet is a set of runes of the Basic Multilingual Plane, the only plane fpdf can encode.
type runeSet [0x10000 / 64]uint64

func (s *runeSet) add(r rune) { s[r>>6] |= 1 << (r & 63) }

func (s *runeSet) has(r rune) bool { return r >= 0 && r < 0x10000 && s[r>>6]&(1<<(r&63)) != 0 }

// bundledFont is the bundled face, parsed once per process. Each bill is drawn with a
// subset of it (see trueType): the characters of its fields and those of the form itself.
type bundledFont struct {
	ttf    *trueType
	inFull runeSet // what the face covers
	form   []rune  // what the form prints besides the fields: labels, marks, digits
	err    error
}

var bundled = sync.OnceValue(loadBundled)

func loadBundled() *bundledFont {
	bf := &bundledFont{}
	data := assets.Font()
	if err := assets.CheckTrueType(data); err != nil {
		bf.err = fmt.Errorf("bundled font: %w", err)
		return bf
	}
	f, err := sfnt.Parse(data)
	if err == nil {
		bf.ttf, err = parseTrueType(data)
	}
	if err != nil {
		bf.err = fmt.Errorf("bundled font: %w", err)
		return bf
	}
	var buf sfnt.Buffer
	for r := rune(0x20); r < 0x10000; r++ {
		if g, err := f.GlyphIndex(&buf, r); err == nil && g != 0 && int(g) < len(bf.ttf.loca)-1 {
			bf.inFull.add(r)
			bf.ttf.gid[r] = uint16(g)
		}
	}
	bf.form = bf.formRunes()
	return bf
}

// formRunes finds the characters the form prints by drawing every kind of bill in every
// state once, with the whole face, and noting what went through the writer. So the subset
// never lacks a label, and no list of labels has to be kept by hand. The bills have "x" in
// every field: field characters are added per bill.
func (bf *bundledFont) formRunes() []rune {
	var seen runeSet
	for r := rune(0x20); r < 0x7f; r++ {
		seen.add(r) // numbers, codes and hashes
	}
	seen.add('…') // a cut cell
	pdf := newPDF(assets.Font())
	proof := Options{Proof: &Proof{TxHash: "x", Height: 1}, Attachment: []byte("{}")}
	type run struct {
		b *bill.Issued
		o Options
	}
	for _, kind := range []bill.Kind{bill.Outpatient, bill.Inpatient} {
		b := formBill(kind)
		red := *b
		red.Red = &bill.RedLink{OriginalID: "x", OriginalCode: "x", OriginalNumber: "x", Reason: "x"}
		draft := *b
		draft.Number = ""
		runs := []run{{b, Options{}}, {&red, proof}, {&draft, Options{}}}
		for st := Issued; st <= Exchanged; st++ {
			o := proof
			o.Status = st
			runs = append(runs, run{b, o})
		}
		for _, r := range runs {
			d := newDoc(pdf, r.b, &r.o, &bf.inFull, nil)
			d.seen = &seen
			d.draw()
		}
	}
	return setRunes(&seen)
}

// formBill is a bill of the kind with every field filled with x, so that every part of the
// form is drawn.
func formBill(kind bill.Kind) *bill.Issued {
	const x = "x"
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, chinaTime)
	day := bill.DateOf(t)
	return &bill.Issued{Number: x, CheckCode: x, IssuedAt: t, Bill: bill.Bill{
		Kind: kind, Code: x, OrgCode: x, Serial: x, CreatedAt: t,
		Payer: bill.Payer{Name: x, ID: x}, Payee: bill.Payee{Name: x, CreditCode: x}, IssuingPoint: x,
		Items: []bill.Item{{Code: x, Name: x, Category: x, Unit: x, Remark: x, SelfPaid: 1}},
		Medical: bill.Medical{
			InstitutionType: x, Department: x, PatientNo: x, RecordNo: x, Sex: x, InsuranceType: x,
			InsuranceNo: x, VisitDate: day, AdmissionDate: day, DischargeDate: day,
		},
		Remark: x, Cashier: x, Reviewer: x,
	}}
}

// setRunes lists the runes of s in order.
func setRunes(s *runeSet) []rune {
	var rs []rune
	for i, w := range s {
		for ; w != 0; w &= w - 1 {
			rs = append(rs, rune(i*64+bits.TrailingZeros64(w)))
		}
	}
	return rs
}

// face is the subset of the bundled face for a bill with these field values, and the set
// of runes it covers.
func (bf *bundledFont) face(fields []field) ([]byte, *runeSet) {
	set := new(runeSet)
	for _, r := range bf.form {
		set.add(r)
	}
	for _, f := range fields {
		for _, r := range f.value {
			if bf.inFull.has(r) {
				set.add(r)
			}
		}
	}
	return bf.ttf.subset(setRunes(set)), set
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
	if fb == nil {
		return 0 // text reports the missing character
	}
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
