package render

import (
	"slices"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"ebill/assets"
)

// TestSubset checks the subset against the whole face: every rune maps to a glyph with the
// same advance and the same outline, composite glyphs included.
func TestSubset(t *testing.T) {
	bf := bundled()
	if bf.err != nil {
		t.Fatal(bf.err)
	}
	full, err := sfnt.Parse(assets.Font())
	if err != nil {
		t.Fatal(err)
	}
	runes := []rune("A1￥…江苏省医疗门诊收费票据壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整喆")
	sub, err := sfnt.Parse(bf.ttf.subset(sortedUnique(runes)))
	if err != nil {
		t.Fatalf("subset does not parse: %v", err)
	}
	if n, max := sub.NumGlyphs(), 4*len(runes); n > max {
		t.Errorf("subset has %d glyphs for %d runes", n, len(runes))
	}
	var fb, sb sfnt.Buffer
	composite := 0
	for _, r := range runes {
		fg, _ := full.GlyphIndex(&fb, r)
		sg, err := sub.GlyphIndex(&sb, r)
		if err != nil || sg == 0 {
			t.Errorf("%q: not in the subset (%v)", r, err)
			continue
		}
		fa, _ := full.GlyphAdvance(&fb, fg, fixed.I(1000), font.HintingNone)
		sa, _ := sub.GlyphAdvance(&sb, sg, fixed.I(1000), font.HintingNone)
		if fa != sa {
			t.Errorf("%q: advance %v, want %v", r, sa, fa)
		}
		fs, err1 := full.LoadGlyph(&fb, fg, fixed.I(1000), nil)
		ss, err2 := sub.LoadGlyph(&sb, sg, fixed.I(1000), nil)
		if err1 != nil || err2 != nil || len(fs) != len(ss) {
			t.Errorf("%q: outline of %d segments (%v), want %d (%v)", r, len(ss), err2, len(fs), err1)
			continue
		}
		for i := range fs {
			if fs[i] != ss[i] {
				t.Errorf("%q: segment %d is %v, want %v", r, i, ss[i], fs[i])
				break
			}
		}
		components(bf.ttf.glyph(uint16(fg)), func(int) { composite++ })
	}
	if composite == 0 {
		t.Error("no composite glyph among the runes: the test covers less than it says")
	}
	if r := rune(0x4E01); !slices.Contains(runes, r) {
		if g, _ := sub.GlyphIndex(&sb, r); g != 0 {
			t.Errorf("%q is in the subset but was not asked for", r)
		}
	}
}

func sortedUnique(rs []rune) []rune {
	var set runeSet
	for _, r := range rs {
		set.add(r)
	}
	return setRunes(&set)
}

// BenchmarkPrepareFont is the once-per-process cost of the bundled font: parsing it and
// finding the form's characters.
func BenchmarkPrepareFont(b *testing.B) {
	for b.Loop() {
		if bf := loadBundled(); bf.err != nil {
			b.Fatal(bf.err)
		}
	}
}
