package render_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"ebill/app/bill"
	"ebill/internal/golden"
	"ebill/render"
)

var docs = flag.Bool("docs", false, "rewrite the bill pictures in ../docs/img/")

const org = "12320100466001234B"

var created = time.Date(2026, 11, 23, 10, 15, 32, 0, time.FixedZone("CST", 8*3600))

// issue does what the ledger does at issue: number, check code and time.
func issue(b *bill.Bill, number, check string, at time.Time) *bill.Issued {
	return &bill.Issued{Bill: *b, ID: bill.ID(b.OrgCode, b.Serial), Number: number, CheckCode: check, IssuedAt: at.UTC()}
}

type sample struct {
	name string
	b    *bill.Issued
	o    render.Options
}

// samples loads the sample bills, one of each kind and state, with the options each is
// rendered with. The attachment is the bill's JSON, standing for the signed data and proof
// bundle. The bills are inputs (testdata/NAME.json, issued-bill JSON kept by hand): no flag
// rewrites them, so the goldens change only with the renderer, never with bill.Sample.
func samples(t testing.TB) []sample {
	t.Helper()
	load := func(name string) (*bill.Issued, []byte) {
		path := filepath.Join("testdata", name+".json")
		data := golden.Read(t, path)
		// An issued bill's JSON, which bill.Decode refuses as input.
		b := new(bill.Issued)
		if err := json.Unmarshal(data, b); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := b.Validate(); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if b.Number != "" { // issued: the ledger's id, as the desk merges it in
			b.ID = bill.ID(b.OrgCode, b.Serial)
		}
		return b, data
	}
	out, outJSON := load("outpatient")
	in, inJSON := load("inpatient")
	red, redJSON := load("red")
	draft, _ := load("draft")
	return []sample{
		{"outpatient", out, render.Options{
			Province: "江苏省", QRSignature: "MEUCIQDxk2",
			Proof:      &render.Proof{TxHash: "3f2a9c0b7d1e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c", Height: 1842},
			Attachment: outJSON,
		}},
		{"inpatient", in, render.Options{
			Province: "江苏省", QRSignature: "MEQCIBd_4Zt",
			Proof:      &render.Proof{TxHash: "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9", Height: 1843},
			Attachment: inJSON,
		}},
		{"red", red, render.Options{
			Province: "江苏省", QRSignature: "MEYCIQC7",
			Proof:      &render.Proof{TxHash: "77aa00bb11cc22dd33ee44ff5566778899aabbccddeeff001122334455667788", Height: 1901},
			Attachment: redJSON,
		}},
		{"draft", draft, render.Options{Province: "江苏省"}},
	}
}

func renderPDF(t testing.TB, b *bill.Issued, o render.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := render.Render(&buf, b, o); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return buf.Bytes()
}

// poppler runs a poppler tool, skipping the test where it is not installed.
func poppler(t *testing.T, tool string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed (poppler-utils)", tool)
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return out
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	p := writeTemp(t, "bill.pdf", pdf)
	// -raw keeps the drawing order and the turned marks; -layout would drop both the
	// stamps and the spaces in 第 1 页 / 共 1 页.
	poppler(t, "pdftotext", "-raw", p, p+".txt")
	txt, err := os.ReadFile(p + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(txt)
}

// TestText checks that every value of the bill is on the page as text, not only as a
// picture of it.
func TestText(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			txt := pdfText(t, renderPDF(t, s.b, s.o))
			b, m, p := s.b, &s.b.Medical, &s.b.Payment
			want := []string{
				s.o.Province, "财政部监制", "财政票据监制章",
				b.Code, bill.MaskID(b.Payer.ID), b.Payer.Name, b.Payee.Name, b.Payee.CreditCode,
				b.Serial, m.PatientNo, m.RecordNo, m.Sex, m.InstitutionType, m.InsuranceType,
				m.InsuranceNo, m.Department, b.IssuingPoint, b.Cashier, b.Reviewer,
				b.Total.Capitals(), "￥" + b.Total.String(),
				p.Fund.String(), p.Other.String(), p.Account.String(), p.Cash.String(),
				p.SelfPay.String(), p.SelfFunded.String(),
				"第 1 页 / 共 1 页",
			}
			for _, it := range b.Items {
				want = append(want, it.Name, string(it.Category), it.Amount.String(), it.Price.String(), it.Unit)
			}
			if b.Kind == bill.Inpatient {
				want = append(want, "住院", m.AdmissionDate.String(), m.DischargeDate.String(),
					p.Prepaid.String(), p.Supplement.String(), p.Refund.String())
			} else {
				want = append(want, "门诊", m.VisitDate.String())
			}
			if b.Number != "" {
				want = append(want, b.Number, b.CheckCode, s.o.Proof.TxHash, fmt.Sprint(s.o.Proof.Height),
					render.AttachmentName, "南京江东人民医院")
			} else {
				want = append(want, "预览", "未开具 不作报销凭证", "未上链")
			}
			if b.Red != nil {
				want = append(want, "红字冲销", b.Red.OriginalCode+" "+b.Red.OriginalNumber, b.Red.Reason)
			}
			for _, w := range want {
				if w == "" {
					t.Fatalf("sample %s lacks a value the test looks for", s.name)
				}
				if !strings.Contains(txt, w) {
					t.Errorf("PDF text lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("PDF text:\n%s", txt)
			}
		})
	}
}

func TestStatusMarks(t *testing.T) {
	s := samples(t)[0]
	tests := []struct {
		status render.Status
		mark   string
	}{
		{render.Reversed, "已冲红"},
		{render.Void, "已作废"},
		{render.Exchanged, "已换开"},
		{render.Draft, "预览"},
	}
	for _, tt := range tests {
		t.Run(tt.status.String(), func(t *testing.T) {
			o := s.o
			o.Status = tt.status
			if txt := pdfText(t, renderPDF(t, s.b, o)); !strings.Contains(txt, tt.mark) {
				t.Errorf("PDF text lacks the mark %q", tt.mark)
			}
		})
	}
	if txt := pdfText(t, renderPDF(t, s.b, s.o)); strings.Contains(txt, "已") || strings.Contains(txt, "预览") {
		t.Errorf("an issued bill without status carries a mark:\n%s", txt)
	}
}

func TestAttachment(t *testing.T) {
	s := samples(t)[0]
	p := writeTemp(t, "bill.pdf", renderPDF(t, s.b, s.o))
	list := poppler(t, "pdfdetach", "-list", p)
	if !strings.Contains(string(list), "1 embedded files") || !strings.Contains(string(list), render.AttachmentName) {
		t.Fatalf("pdfdetach -list:\n%s", list)
	}
	dir := t.TempDir()
	poppler(t, "pdfdetach", "-saveall", "-o", dir, p)
	got, err := os.ReadFile(filepath.Join(dir, render.AttachmentName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, s.o.Attachment) {
		t.Fatalf("extracted attachment differs from the input:\n got %q\nwant %q", got, s.o.Attachment)
	}
}

func TestNoAttachment(t *testing.T) {
	s := samples(t)[3]
	p := writeTemp(t, "bill.pdf", renderPDF(t, s.b, s.o))
	if list := poppler(t, "pdfdetach", "-list", p); !strings.Contains(string(list), "0 embedded files") {
		t.Fatalf("pdfdetach -list:\n%s", list)
	}
}

// TestQR reads the QR code back from a 150 dpi raster of the page, as a phone would.
func TestQR(t *testing.T) {
	for _, s := range samples(t)[:3] {
		t.Run(s.name, func(t *testing.T) {
			p := writeTemp(t, "bill.pdf", renderPDF(t, s.b, s.o))
			poppler(t, "pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", p, p)
			got := decodeQR(t, p+".png")
			if want := render.QRPayload(s.b, s.o.QRSignature); got != want {
				t.Fatalf("QR code reads %q, want %q", got, want)
			}
			f, err := render.ParseQRPayload(got)
			if err != nil {
				t.Fatal(err)
			}
			if f.Number != s.b.Number || f.Total != s.b.Total || f.Signature != s.o.QRSignature {
				t.Fatalf("ParseQRPayload(%q) = %+v", got, f)
			}
		})
	}
}

func decodeQR(t *testing.T, png string) string {
	t.Helper()
	text, err := readQR(t, png)
	if err != nil {
		t.Fatalf("no QR code found on the page: %v", err)
	}
	return text
}

// readQR decodes the QR code in a PNG picture.
func readQR(t *testing.T, png string) (string, error) {
	t.Helper()
	f, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func TestDraftHasNoQR(t *testing.T) {
	s := samples(t)[3]
	p := writeTemp(t, "bill.pdf", renderPDF(t, s.b, s.o))
	poppler(t, "pdftoppm", "-r", "150", "-png", "-singlefile", p, p)
	if text, err := readQR(t, p+".png"); err == nil {
		t.Fatalf("a draft carries a QR code: %q", text)
	}
}

// TestPages renders 120 items: continuation pages, each a whole form with its page number,
// and every item printed once.
func TestPages(t *testing.T) {
	b := issue(bill.Sample(bill.Inpatient, org, "ZY20261123000777", 120, created), "0000000200", "abcdef", created)
	pdf := renderPDF(t, b, render.Options{Province: "江苏省"})
	const pages = 15 // 8 items a page
	p := writeTemp(t, "bill.pdf", pdf)
	if info := poppler(t, "pdfinfo", p); !regexp.MustCompile(fmt.Sprintf(`(?m)^Pages: +%d$`, pages)).Match(info) {
		t.Fatalf("pdfinfo:\n%s", info)
	}
	txt := pdfText(t, pdf)
	byPage := strings.Split(txt, "\f")
	for i := range pages {
		pg := byPage[i]
		for _, w := range []string{fmt.Sprintf("第 %d 页 / 共 %d 页", i+1, pages), b.Number, "财政部监制", b.Total.Capitals()} {
			if !strings.Contains(pg, w) {
				t.Errorf("page %d lacks %q", i+1, w)
			}
		}
	}
	// Item codes are unique per sample item; count the rows through the amounts column.
	rows := 0
	for _, it := range b.SortedItems() {
		if strings.Contains(txt, it.Name) {
			rows++
		}
	}
	if rows != len(b.Items) {
		t.Errorf("%d of %d items found in the text", rows, len(b.Items))
	}
	if n := strings.Count(txt, "XA01AAX087A"); n == 0 {
		t.Error("no item code in the text")
	}
}

// TestGolden compares with the committed PDFs byte for byte, and renders each bill twice:
// output depends only on the input.
func TestGolden(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			got := renderPDF(t, s.b, s.o)
			if again := renderPDF(t, s.b, s.o); !bytes.Equal(got, again) {
				t.Fatal("two renderings of the same bill differ")
			}
			golden.Equal(t, filepath.Join("testdata", s.name+".pdf"), got)
			if *docs {
				dir := filepath.Join("..", "docs", "img")
				p := writeTemp(t, "bill.pdf", got)
				poppler(t, "pdftoppm", "-r", "80", "-png", "-singlefile", p, filepath.Join(dir, "bill-"+s.name))
			}
		})
	}
}

// TestSize checks that the font is subset: a one-page bill is tens of KB, not megabytes.
func TestSize(t *testing.T) {
	for _, s := range samples(t) {
		if n := len(renderPDF(t, s.b, s.o)); n < 15<<10 || n > 80<<10 {
			t.Errorf("%s: %d bytes, want 15–80 KB", s.name, n)
		}
	}
}

// TestRareCharacters covers a name outside GB 2312 (drawn with the whole bundled font) and
// one outside the font altogether (CJK Extension B: an error, or the fallback font).
func TestRareCharacters(t *testing.T) {
	fallback, err := os.ReadFile("testdata/fallback.ttf")
	if err != nil {
		t.Fatal(err)
	}
	s := samples(t)[0]

	t.Run("GBK", func(t *testing.T) {
		b := *s.b
		b.Payer.Name = "张喆" // 喆 is in GBK, not GB 2312
		if ps := render.Missing(&b.Bill); len(ps) != 0 {
			t.Fatalf("Missing = %v, want none", ps)
		}
		if txt := pdfText(t, renderPDF(t, &b, s.o)); !strings.Contains(txt, "张喆") {
			t.Fatal("PDF text lacks 张喆")
		}
	})

	b := *s.b
	b.Payer.Name = "王\U00020000"
	b.Items = append([]bill.Item(nil), s.b.Items...)
	b.Items[2].Remark = "\U00020000"
	t.Run("Missing", func(t *testing.T) {
		ps := render.Missing(&b.Bill)
		if len(ps) != 2 || ps[0].Path != "payer.name" || ps[1].Path != "items[2].remark" {
			t.Fatalf("Missing = %+v, want payer.name and items[2].remark", ps)
		}
		if !strings.Contains(ps[0].ZH, "\U00020000") || !strings.Contains(ps[0].EN, "U+20000") {
			t.Errorf("problem does not name the character: %+v", ps[0])
		}
	})
	t.Run("NoFallback", func(t *testing.T) {
		err := render.Render(new(bytes.Buffer), &b, s.o)
		if !errors.Is(err, render.ErrMissingGlyph) {
			t.Fatalf("Render = %v, want ErrMissingGlyph", err)
		}
		for _, w := range []string{"payer.name", "items[2].remark", "U+20000"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not name %s", err, w)
			}
		}
	})
	t.Run("Fallback", func(t *testing.T) {
		o := s.o
		o.FallbackFont = fallback
		with := raster(t, renderPDF(t, &b, o))
		plain := *s.b
		plain.Payer.Name = "王"
		without := raster(t, renderPDF(t, &plain, o))
		// The fallback glyphs (payer cell, remark of item 3) add dark ink, in the text's
		// colour, not in whatever fill colour was current.
		if d := dark(with) - dark(without); d < 20 {
			t.Fatalf("the fallback glyphs add %d dark pixels, want a few dozen", d)
		}
	})
	t.Run("NotInFallback", func(t *testing.T) {
		o := s.o
		o.FallbackFont = fallback // it has U+20000 only
		c := b
		c.Payer.Name = "王\U00020001"
		err := render.Render(new(bytes.Buffer), &c, o)
		if !errors.Is(err, render.ErrMissingGlyph) || !strings.Contains(err.Error(), "U+20001") ||
			strings.Contains(err.Error(), "U+20000") {
			t.Fatalf("Render = %v, want ErrMissingGlyph for U+20001 alone", err)
		}
	})
}

// raster is the page as a binary PGM (P5) at 100 dpi.
func raster(t *testing.T, pdf []byte) []byte {
	p := writeTemp(t, "bill.pdf", pdf)
	poppler(t, "pdftoppm", "-r", "100", "-gray", "-singlefile", p, p)
	data, err := os.ReadFile(p + ".pgm")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// dark counts the near-black pixels of a PGM raster (its header is three lines).
func dark(pgm []byte) int {
	for range 3 {
		pgm = pgm[bytes.IndexByte(pgm, '\n')+1:]
	}
	n := 0
	for _, v := range pgm {
		if v < 80 {
			n++
		}
	}
	return n
}

func TestRenderErrors(t *testing.T) {
	s := samples(t)[0]
	tests := []struct {
		name string
		b    *bill.Issued
		o    render.Options
		want error
	}{
		{"nil bill", nil, render.Options{}, render.ErrNoBill},
		{"signature with space", s.b, render.Options{QRSignature: "a b"}, render.ErrQRSignature},
		{"signature not ASCII", s.b, render.Options{QRSignature: "签名"}, render.ErrQRSignature},
		{"status", s.b, render.Options{Status: 42}, render.ErrStatus},
		{"fallback not a font", s.b, render.Options{FallbackFont: []byte("not a font")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := render.Render(new(bytes.Buffer), tt.b, tt.o)
			if err == nil {
				t.Fatal("Render succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Render = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestQRPayload(t *testing.T) {
	s := samples(t)
	tests := []struct {
		b    *bill.Issued
		sig  string
		want string
	}{
		{s[0].b, "", "32060126_0000000137_a1b2c3_" + s[0].b.Total.String() + "_20261123"},
		{s[0].b, "MEUC_x9", "32060126_0000000137_a1b2c3_" + s[0].b.Total.String() + "_20261123_MEUC_x9"},
		{s[2].b, "", "32060126_0000000139_0c0d0e_-" + s[0].b.Total.String() + "_20261123"},
	}
	for _, tt := range tests {
		got := render.QRPayload(tt.b, tt.sig)
		if got != tt.want {
			t.Errorf("QRPayload = %q, want %q", got, tt.want)
		}
		f, err := render.ParseQRPayload(got)
		if err != nil {
			t.Fatalf("ParseQRPayload(%q): %v", got, err)
		}
		if f.Code != tt.b.Code || f.Number != tt.b.Number || f.CheckCode != tt.b.CheckCode ||
			f.Total != tt.b.Total || f.Date.String() != "2026-11-23" || f.Signature != tt.sig {
			t.Errorf("ParseQRPayload(%q) = %+v", got, f)
		}
	}
}

func TestQRPayloadDateIsChinaTime(t *testing.T) {
	// 2026-11-23 17:30 UTC is already the 24th in China.
	b := issue(bill.Sample(bill.Outpatient, org, "S1", 1, created), "0000000001", "abcdef",
		time.Date(2026, 11, 23, 17, 30, 0, 0, time.UTC))
	if got := render.QRPayload(b, ""); !strings.HasSuffix(got, "_20261124") {
		t.Fatalf("QRPayload = %q, want the China date 20261124", got)
	}
}

func TestParseQRPayloadErrors(t *testing.T) {
	for _, s := range []string{
		"", "32060126_0000000137_a1b2c3_12.30", "32060126_0000000137_a1b2c3_1e3_20261123",
		"32060126_0000000137_a1b2c3_12.30_2026-11-23", "32060126_0000000137_a1b2c3_12.30_20261131",
	} {
		if _, err := render.ParseQRPayload(s); !errors.Is(err, render.ErrQRPayload) {
			t.Errorf("ParseQRPayload(%q) = %v, want ErrQRPayload", s, err)
		}
	}
}

// BenchmarkRender measures one bill from bill to PDF bytes; pdf-bytes is the file size.
func BenchmarkRender(b *testing.B) {
	s := samples(b)[0]
	long := issue(bill.Sample(bill.Inpatient, org, "ZY1", 120, created), "0000000200", "abcdef", created)
	for _, bb := range []struct {
		name string
		b    *bill.Issued
		o    render.Options
	}{
		{"one-page", s.b, s.o},
		{"120-items", long, s.o},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var buf bytes.Buffer
			render.Render(&buf, bb.b, bb.o) // the font is prepared once per process, not per bill
			cpu := cpuTime()
			for b.Loop() {
				buf.Reset()
				if err := render.Render(&buf, bb.b, bb.o); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := cpuTime() - cpu; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
			b.ReportMetric(float64(buf.Len()), "pdf-bytes")
		})
	}
}

// TestLongText fills the longest name and remark validation allows: they wrap and shrink,
// and still print whole.
func TestLongText(t *testing.T) {
	s := samples(t)[1]
	b := *s.b
	b.Items = append([]bill.Item(nil), s.b.Items...)
	b.Items[0].Name = strings.Repeat("复方甘草酸苷注射液", bill.MaxName/9) + "注射液"
	const sentence = "患者自愿选择自费项目并已知情同意。"
	b.Remark = strings.Repeat(sentence, (bill.MaxReasonBytes-len("以上"))/len(sentence)) + "以上"
	b.Payer.Name = "欧阳娜娜·阿卜杜热合曼·买买提"
	txt := strings.ReplaceAll(pdfText(t, renderPDF(t, &b, s.o)), "\n", "")
	for _, w := range []string{b.Items[0].Name, b.Remark, b.Payer.Name} {
		if !strings.Contains(txt, w) {
			t.Errorf("PDF text lacks %q:\n%s", w, txt)
		}
	}
	if *docs {
		p := writeTemp(t, "bill.pdf", renderPDF(t, &b, s.o))
		poppler(t, "pdftoppm", "-r", "100", "-png", "-singlefile", p, filepath.Join(os.TempDir(), "ebill-long"))
	}
}

// TestConcurrent renders the samples at once from several goroutines, as a desk does for a
// batch: they share the prepared font and must not disturb each other.
func TestConcurrent(t *testing.T) {
	ss := samples(t)
	want := make([][]byte, len(ss))
	for i, s := range ss {
		want[i] = renderPDF(t, s.b, s.o)
	}
	errs := make(chan error, 4*len(ss))
	for range 4 {
		for i, s := range ss {
			go func() {
				var buf bytes.Buffer
				err := render.Render(&buf, s.b, s.o)
				if err == nil && !bytes.Equal(buf.Bytes(), want[i]) {
					err = fmt.Errorf("%s rendered concurrently differs", s.name)
				}
				errs <- err
			}()
		}
	}
	for range 4 * len(ss) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestMetadata(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			p := writeTemp(t, "bill.pdf", renderPDF(t, s.b, s.o))
			info := string(poppler(t, "pdfinfo", "-isodates", p))
			at := s.b.IssuedAt
			if at.IsZero() {
				at = s.b.CreatedAt
			}
			want := []string{
				"Creator:         ebill\n",
				"CreationDate:    " + at.UTC().Format("2006-01-02T15:04:05Z") + "\n",
				"Title:           " + s.o.Province + "医疗",
				"Page size:       683.15 x 396.85 pts", // 241 × 140 mm
			}
			if s.b.Number != "" {
				want = append(want, s.b.Code+" "+s.b.Number+"\n", "Subject:         "+s.b.ID+"\n")
			}
			for _, w := range want {
				if !strings.Contains(info, w) {
					t.Errorf("pdfinfo lacks %q:\n%s", w, info)
				}
			}
		})
	}
}
