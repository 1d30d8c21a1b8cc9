package render

import (
	"math"

	"codeberg.org/go-pdf/fpdf"
)

// sealRed is the red of seals and red-bill amounts.
var sealRed = [3]int{215, 25, 32}

func (t *writer) red() { t.pdf.SetDrawColor(sealRed[0], sealRed[1], sealRed[2]) }
func (t *writer) redFill() {
	t.pdf.SetFillColor(sealRed[0], sealRed[1], sealRed[2])
	t.pdf.SetTextColor(sealRed[0], sealRed[1], sealRed[2])
}

// inked draws fn as a seal pressed onto the page: red, a little translucent and multiplied,
// so the text underneath stays legible as it does under a real stamp.
func (t *writer) inked(alpha float64, fn func()) {
	t.pdf.SetAlpha(alpha, "Multiply")
	t.red()
	t.redFill()
	fn()
	t.pdf.SetAlpha(1, "Normal")
}

// arcText sets s along the upper arc of the ellipse (cx, cy, rx, ry), each character
// upright towards the outside, spread over at most span degrees.
func (t *writer) arcText(s string, cx, cy, rx, ry, span float64) {
	r := []rune(s)
	n := len(r)
	if n == 0 {
		return
	}
	// Characters stand a little more than their width apart, as on a carved seal, unless
	// the span is full.
	step := 0.0
	if n > 1 {
		avg := (rx + ry) / 2
		step = min(span/float64(n-1), t.size*ptMM*1.25/avg*180/math.Pi)
	}
	start := -step * float64(n-1) / 2
	for i, c := range r {
		th := (start + step*float64(i)) * math.Pi / 180
		px, py := cx+rx*math.Sin(th), cy-ry*math.Cos(th)
		// The outward normal of the ellipse, as a clockwise angle from straight up.
		phi := math.Atan2(ry*math.Sin(th), rx*math.Cos(th)) * 180 / math.Pi
		ch := string(c)
		t.pdf.TransformBegin()
		t.pdf.TransformRotate(-phi, px, py)
		t.text(px-t.width(ch)/2, py+0.36*t.size*ptMM, ch)
		t.pdf.TransformEnd()
	}
}

// star fills a five-pointed star of outer radius r centred on (cx, cy).
func (t *writer) star(cx, cy, r float64) {
	pts := make([]fpdf.PointType, 10)
	for i := range pts {
		rad := r
		if i%2 == 1 {
			rad = r * 0.382
		}
		a := float64(i) * math.Pi / 5
		pts[i] = fpdf.PointType{X: cx + rad*math.Sin(a), Y: cy - rad*math.Cos(a)}
	}
	t.pdf.Polygon(pts, "F")
}

// hospitalSeal is the hospital's round e-seal: its name around the top, a star in the
// centre and 收费专用章 below.
func (t *writer) hospitalSeal(name string, cx, cy, r float64) {
	t.inked(0.85, func() {
		t.pdf.SetLineWidth(0.8)
		t.pdf.Circle(cx, cy, r, "D")
		t.pdf.SetLineWidth(0.2)
		t.font(fitArc(name, r*0.74, 250, 12))
		t.arcText(name, cx, cy, r*0.74, r*0.74, 250)
		t.star(cx, cy, r*0.28)
		t.font(7.5)
		t.cell(cx-r*0.7, cy+r*0.36, r*1.4, 3.5, "收费专用章", center)
	})
}

// bureauSeal is the finance bureau's oval supervision seal (财政票据监制章).
func (t *writer) bureauSeal(name string, cx, cy, rx, ry float64) {
	t.inked(0.9, func() {
		t.pdf.SetLineWidth(0.6)
		t.pdf.Ellipse(cx, cy, rx, ry, 0, "D")
		t.pdf.SetLineWidth(0.2)
		t.font(fitArc(name, (rx*0.74+ry*0.62)/2, 170, 9.5))
		t.arcText(name, cx, cy, rx*0.74, ry*0.62, 170)
		t.font(6.5)
		t.cell(cx-rx, cy+ry*0.12, 2*rx, ry*0.6, "财政票据监制章", center)
	})
}

// fitArc is the font size (pt) at which the characters of s fit on an arc of radius r over
// span degrees, at most limit.
func fitArc(s string, r, span, limit float64) float64 {
	n := float64(len([]rune(s)))
	arc := r * span * math.Pi / 180
	return min(limit, arc/max(n, 1)/ptMM*0.8)
}

// stamp is a rectangular red mark (红字冲销, 已作废 …) with a double border, turned by
// angle degrees counter-clockwise about its centre.
func (t *writer) stamp(s string, cx, cy, pt, angle float64) {
	t.inked(0.8, func() {
		t.font(pt)
		w, h := t.width(s)+pt*ptMM*1.2, pt*ptMM*1.7
		t.pdf.TransformBegin()
		t.pdf.TransformRotate(angle, cx, cy)
		t.pdf.SetLineWidth(0.9)
		t.pdf.Rect(cx-w/2, cy-h/2, w, h, "D")
		t.pdf.SetLineWidth(0.3)
		t.pdf.Rect(cx-w/2+1.2, cy-h/2+1.2, w-2.4, h-2.4, "D")
		t.cell(cx-w/2, cy-h/2, w, h, s, center)
		t.pdf.TransformEnd()
		t.pdf.SetLineWidth(0.2)
	})
}

// watermark writes s huge and faint across the page centre, turned by angle degrees.
func (t *writer) watermark(s string, cx, cy, pt, angle float64) {
	t.pdf.SetAlpha(0.16, "Normal")
	t.redFill()
	t.font(pt)
	w := t.width(s)
	t.pdf.TransformBegin()
	t.pdf.TransformRotate(angle, cx, cy)
	t.text(cx-w/2, cy+0.36*pt*ptMM, s)
	t.pdf.TransformEnd()
	t.pdf.SetAlpha(1, "Normal")
}
