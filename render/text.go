package render

import (
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

const (
	family = "wqy"
	ptMM   = 25.4 / 72 // millimetres per point
	minPt  = 5.0       // table cells shrink to this size before they truncate
	pad    = 1.2       // inner padding of a cell, mm
)

// writer draws text with the embedded face and, for the characters it lacks, the fallback
// outlines. Every string on the page goes through it.
type writer struct {
	pdf  *fpdf.Fpdf
	has  *runeSet      // what the embedded face covers
	fb   *fallbackFont // nil without Options.FallbackFont
	size float64       // current size, pt
	seen *runeSet      // if set, collects every rune drawn or measured
}

func (t *writer) font(pt float64) {
	t.pdf.SetFont(family, "", pt)
	t.size = pt
}

// runs calls fn for each maximal run of s that the embedded face covers (own = true) or
// does not. Control characters become spaces.
func (t *writer) runs(s string, fn func(run string, own bool)) {
	var b strings.Builder
	own := true
	flush := func() {
		if b.Len() > 0 {
			fn(b.String(), own)
			b.Reset()
		}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		if t.seen != nil {
			t.seen.add(r)
		}
		o := t.has.has(r)
		if o != own {
			flush()
			own = o
		}
		b.WriteRune(r)
	}
	flush()
}

// width is the advance of s in mm at the current size.
func (t *writer) width(s string) float64 {
	w := 0.0
	t.runs(s, func(run string, own bool) {
		if own {
			w += t.pdf.GetStringWidth(run)
			return
		}
		for _, r := range run {
			w += t.fb.advance(r, t.size*ptMM)
		}
	})
	return w
}

// text draws s with its baseline starting at (x, y).
func (t *writer) text(x, y float64, s string) {
	t.runs(s, func(run string, own bool) {
		if own {
			t.pdf.Text(x, y, run)
			x += t.pdf.GetStringWidth(run)
			return
		}
		for _, r := range run {
			if !t.fb.has(r) {
				// Render checks every field first, so this is a label: a defect of ours.
				t.pdf.SetErrorf("render: character %q (%U) of %q is not in the font", r, r, s)
				return
			}
			// Outlines are filled with the fill colour; text has its own.
			fr, fg, fb := t.pdf.GetFillColor()
			t.pdf.SetFillColor(t.pdf.GetTextColor())
			err := t.fb.draw(t.pdf, r, x, y, t.size*ptMM)
			t.pdf.SetFillColor(fr, fg, fb)
			if err != nil {
				t.pdf.SetError(err)
				return
			}
			x += t.fb.advance(r, t.size*ptMM)
		}
	})
}

// Alignments of cell.
const (
	left = iota
	center
	right
)

// cell draws s inside the box (x, y, w, h), vertically centred and aligned. A text too wide
// shrinks down to minPt, then takes two lines if the box is high enough, and only then is
// cut with an ellipsis: nothing ever spills into the next cell. The font size is restored
// afterwards.
func (t *writer) cell(x, y, w, h float64, s string, align int) {
	if s == "" {
		return
	}
	size := t.size
	defer t.font(size)
	room := w - 2*pad
	for t.width(s) > room && t.size > minPt {
		t.font(max(minPt, t.size-0.5))
	}
	lines := []string{s}
	lineH := t.size * ptMM * 1.1
	if t.width(s) > room {
		all := t.wrap(s, room)
		n := 1
		if 2*lineH <= h {
			n = 2
		}
		lines = all[:min(n, len(all))]
		if last := len(lines) - 1; len(all) > n || t.width(lines[last]) > room {
			lines[last] = t.cut(lines[last], room)
		}
	}
	for i, l := range lines {
		tw := t.width(l)
		lx := x + pad
		switch align {
		case center:
			lx = x + (w-tw)/2
		case right:
			lx = x + w - pad - tw
		}
		// CJK glyphs sit about 0.36 em above the baseline: centre them on the line's middle.
		mid := y + h/2 + (float64(i)-float64(len(lines)-1)/2)*lineH
		t.text(lx, mid+0.36*t.size*ptMM, l)
	}
}

// cut shortens s with an ellipsis until it fits in w.
func (t *writer) cut(s string, w float64) string {
	r := []rune(s)
	for len(r) > 0 && t.width(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// wrap breaks s into lines no wider than w at the current size. Chinese breaks between
// any two characters; Latin words are not split unless one alone is too wide.
func (t *writer) wrap(s string, w float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, r := range para {
			next := line + string(r)
			if line != "" && t.width(next) > w {
				if cut := strings.LastIndexByte(line, ' '); cut > 0 && r < 0x80 && r != ' ' && isASCIIWordEnd(line) {
					lines = append(lines, line[:cut])
					line = line[cut+1:] + string(r)
					continue
				}
				lines = append(lines, line)
				line = strings.TrimLeft(string(r), " ")
				continue
			}
			line = next
		}
		lines = append(lines, line)
	}
	return lines
}

// isASCIIWordEnd reports whether s ends in a Latin letter or digit, i.e. a break there
// would split a word.
func isASCIIWordEnd(s string) bool {
	c := s[len(s)-1]
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
