package bench

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

var (
	colEbill   = color.RGBA{0xc0, 0x1f, 0x1f, 0xff}
	colKV      = color.RGBA{0x1f, 0x5f, 0xc0, 0xff}
	colAxis    = color.RGBA{0x60, 0x60, 0x60, 0xff}
	colGrid    = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
	chartW     = 900
	panelH     = 260
	marginL    = 70
	marginR    = 20
	marginTop  = 44
	panelSpace = 50
)

// WriteChart draws the run as a PNG: committed per second on top, submit→committed p50
// (solid) and p99 (dotted) latency below, ebill red and kvstore blue, one point a second.
func (r *Report) WriteChart(w io.Writer) error {
	h := marginTop + 2*panelH + panelSpace + 40
	img := image.NewRGBA(image.Rect(0, 0, chartW, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	results := []*Result{r.Ebill}
	if r.KVStore != nil {
		results = append(results, r.KVStore)
	}
	var maxT int
	var maxRate, maxLat float64
	for _, res := range results {
		maxT = max(maxT, len(res.Series))
		for _, s := range res.Series {
			maxRate = max(maxRate, float64(s.Committed))
			maxLat = max(maxLat, s.P99)
		}
	}
	top := image.Rect(marginL, marginTop, chartW-marginR, marginTop+panelH)
	bottom := image.Rect(marginL, top.Max.Y+panelSpace, chartW-marginR, top.Max.Y+panelSpace+panelH)
	seconds := func(t int) string { return fmt.Sprint(t) }
	panel(img, top, maxT, niceMax(maxRate), "committed per second", seconds)
	panel(img, bottom, maxT, niceMax(maxLat), "submit->committed ms (p50 solid, p99 dotted)", seconds)
	for _, res := range results {
		c := colEbill
		if res.App == "kvstore" {
			c = colKV
		}
		rate := make([]float64, len(res.Series))
		p50 := make([]float64, len(res.Series))
		p99 := make([]float64, len(res.Series))
		for i, s := range res.Series {
			rate[i], p50[i], p99[i] = float64(s.Committed), s.P50, s.P99
		}
		plot(img, top, maxT, niceMax(maxRate), rate, c, 1)
		plot(img, bottom, maxT, niceMax(maxLat), p50, c, 1)
		plot(img, bottom, maxT, niceMax(maxLat), p99, c, 4)
	}
	label(img, marginL, 16, fmt.Sprintf("ebill (red) %.0f bills/s", r.BillsPerS), colEbill)
	if r.KVStore != nil {
		label(img, marginL+260, 16, fmt.Sprintf("kvstore (blue) %.0f tx/s  ratio %.2f", r.KVStoreTxPerS, r.RatioToKVStore), colKV)
	}
	label(img, chartW/2-60, h-10, "seconds since the load began", colAxis)
	return png.Encode(w, img)
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so grid lines fall on
// round numbers.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// panel draws the grid of a panel whose x axis runs 0..maxT, labelled by xLabel.
func panel(img *image.RGBA, r image.Rectangle, maxT int, maxY float64, title string, xLabel func(int) string) {
	for i := 0; i <= 4; i++ {
		y := r.Max.Y - i*r.Dy()/4
		hline(img, r.Min.X, r.Max.X, y, colGrid)
		label(img, 4, y+4, strconv.FormatFloat(maxY*float64(i)/4, 'f', -1, 64), colAxis)
	}
	hline(img, r.Min.X, r.Max.X, r.Max.Y, colAxis)
	vline(img, r.Min.X, r.Min.Y, r.Max.Y, colAxis)
	step := max(1, maxT/10)
	for t := 0; t <= maxT; t += step {
		x := xAt(r, maxT, float64(t))
		vline(img, x, r.Max.Y, r.Max.Y+4, colAxis)
		text := xLabel(t)
		if t == maxT { // the last label ends at the axis's end, inside the image
			x -= 7 * (len(text) - 1)
		}
		label(img, x-4, r.Max.Y+16, text, colAxis)
	}
	label(img, r.Min.X+6, r.Min.Y-6, title, colAxis)
}

func xAt(r image.Rectangle, maxT int, t float64) int {
	return r.Min.X + int(t*float64(r.Dx())/float64(max(maxT, 1)))
}

func yAt(r image.Rectangle, maxY, v float64) int {
	return r.Max.Y - int(min(v, maxY)*float64(r.Dy())/maxY)
}

// plot draws a polyline through one value a second; dash > 1 draws every dash-th pixel.
func plot(img *image.RGBA, r image.Rectangle, maxT int, maxY float64, ys []float64, c color.RGBA, dash int) {
	for i := 1; i < len(ys); i++ {
		line(img, xAt(r, maxT, float64(i-1)+0.5), yAt(r, maxY, ys[i-1]), xAt(r, maxT, float64(i)+0.5), yAt(r, maxY, ys[i]), c, dash)
	}
}

func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA, dash int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for n := 0; ; n++ {
		if n%dash == 0 {
			img.SetRGBA(x0, y0, c)
			img.SetRGBA(x0, y0+1, c)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

func label(img *image.RGBA, x, y int, s string, c color.RGBA) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
