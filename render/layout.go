package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode"

	"ebill/app/bill"
)

// The form, in millimetres: 241 × 140, the continuous form size of provincial bills.
const (
	pageW, pageH = 241.0, 140.0
	x0, x1       = 8.0, 233.0 // left and right edge of the form
	formW        = x1 - x0
	boxTop       = 37.0 // top of the ruled part
	infoH        = 5.5  // height of an information row
	headH        = 5.0  // height of the item table's header
	rowH         = 4.6  // height of an item row
	rowsPerPage  = 8
	remarkH      = 9.0
)

// Ink colours: labels and rules in the dark blue of printed forms, values in black.
var (
	formBlue = [3]int{30, 58, 108}
	tint     = [3]int{239, 243, 249} // label cells
)

// column of the item table: title, width, alignment, whether it is an amount (red on a red
// bill) and the value of an item.
type column struct {
	title string
	w     float64
	align int
	money bool
	value func(it *bill.Item) string
}

var columns = []column{
	{"项目编码", 30, left, false, func(it *bill.Item) string { return it.Code }},
	{"项目名称", 52, left, false, func(it *bill.Item) string { return it.Name }},
	{"类别", 20, center, false, func(it *bill.Item) string { return string(it.Category) }},
	{"数量", 14, right, false, func(it *bill.Item) string { return it.Quantity.String() }},
	{"单位", 12, center, false, func(it *bill.Item) string { return it.Unit }},
	{"标准(元)", 20, right, false, func(it *bill.Item) string { return it.Price.String() }},
	{"金额(元)", 22, right, true, func(it *bill.Item) string { return it.Amount.String() }},
	{"自费(元)", 20, right, true, func(it *bill.Item) string { return moneyOrBlank(it.SelfPaid) }},
	{"备注", 35, left, false, func(it *bill.Item) string { return it.Remark }},
}

func moneyOrBlank(m bill.Money) string {
	if m == 0 {
		return ""
	}
	return m.String()
}

// pair is a label and its value in a ruled row; w is the width of both together.
type pair struct {
	label, value string
	w            float64
}

// doc is one bill being drawn.
type doc struct {
	writer
	b            *bill.Issued
	o            *Options
	items        []bill.Item
	draft, red   bool
	pages        int
	valueColour  [3]int // red on a red bill
	hospitalName string
	bureauName   string
	qr           barcode.Barcode // encoded with the first page
}

// newPDF is an empty document with the bundled font (or a subset of it) as ttf.
func newPDF(ttf []byte) *fpdf.Fpdf {
	pdf := fpdf.NewCustom(&fpdf.InitType{
		OrientationStr: "P", UnitStr: "mm", Size: fpdf.SizeType{Wd: pageW, Ht: pageH},
	})
	pdf.AddUTF8FontFromBytes(family, "", ttf)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCatalogSort(true)
	return pdf
}

// newDoc prepares drawing b onto pdf, whose font covers has.
func newDoc(pdf *fpdf.Fpdf, b *bill.Issued, o *Options, has *runeSet, fb *fallbackFont) *doc {
	d := &doc{
		writer: writer{pdf: pdf, has: has, fb: fb},
		b:      b, o: o,
		items: b.SortedItems(),
		draft: b.Number == "" || o.Status == Draft,
		red:   b.Red != nil,
	}
	d.pages = max(1, (len(d.items)+rowsPerPage-1)/rowsPerPage)
	if d.red {
		d.valueColour = sealRed
	}
	d.hospitalName, d.bureauName = sealNames(b, o)
	return d
}

func (d *doc) title() string {
	kind := "门诊"
	if d.b.Kind == bill.Inpatient {
		kind = "住院"
	}
	return d.o.Province + "医疗" + kind + "收费票据（电子）"
}

func (d *doc) metadata() {
	p := d.pdf
	id := d.b.ID
	title := d.title()
	if d.b.Number != "" {
		title += " " + d.b.Code + " " + d.b.Number
	}
	p.SetTitle(title, true)
	p.SetSubject(id, true)
	p.SetCreator("ebill", true)
	p.SetProducer("ebill", true)
	p.SetKeywords(strings.TrimSpace("e-bill "+id), true)
	// UTC: fpdf writes the date without an offset, which readers take for UTC.
	t := billTime(d.b).UTC()
	if t.IsZero() {
		t = time.Unix(0, 0).UTC() // never "now": the bytes must not depend on the clock
	}
	p.SetCreationDate(t)
	p.SetModificationDate(t)
	if d.o.Attachment != nil {
		p.SetAttachments([]fpdf.Attachment{{
			Content:     d.o.Attachment,
			Filename:    AttachmentName,
			Description: "签名票据数据与链上证明 signed bill data and chain proof",
		}})
	}
}

func (d *doc) draw() {
	for page := range d.pages {
		d.pdf.AddPage()
		lo := page * rowsPerPage
		hi := min(len(d.items), lo+rowsPerPage)
		d.header()
		d.body(d.items[lo:hi])
		d.footer(page + 1)
		d.marks()
	}
}

func (d *doc) ink(c [3]int) {
	d.pdf.SetTextColor(c[0], c[1], c[2])
}

// header is the top of the form: QR code, supervision seal, title and the bill's numbers.
func (d *doc) header() {
	p := d.pdf
	if d.draft {
		// No QR on a draft: it must not look verifiable.
		p.SetDrawColor(formBlue[0], formBlue[1], formBlue[2])
		p.SetDashPattern([]float64{1, 1}, 0)
		p.Rect(x0+2, 7, 24, 24, "D")
		p.SetDashPattern(nil, 0)
		d.ink(formBlue)
		d.font(7)
		d.cell(x0+2, 7, 24, 24, "预览 无二维码", center)
	} else {
		if d.qr == nil {
			// Once per bill, not per page: encoding tries eight masks.
			code, err := encodeQR(QRPayload(d.b, d.o.QRSignature))
			if err != nil {
				p.SetError(err)
				return
			}
			d.qr = code
		}
		drawQR(p, d.qr, x0+2, 7, 24)
	}

	d.bureauSeal(d.bureauName, pageW/2, 12.5, 17, 10)

	d.ink(formBlue)
	d.font(15)
	p.SetTextRenderingMode(2) // fill and stroke: the face has no bold
	p.SetLineWidth(0.15)
	p.SetDrawColor(formBlue[0], formBlue[1], formBlue[2])
	d.cell(x0, 23, formW, 8, d.title(), center)
	p.SetTextRenderingMode(0)
	d.font(7.5)
	d.cell(x0, 30.5, formW, 4, "财政部监制", center)

	number, check := d.b.Number, d.b.CheckCode
	if d.draft {
		number, check = "（未开具）", "—"
	}
	rows := [][2]string{
		{"票据代码", d.b.Code},
		{"票据号码", number},
		{"校验码", check},
		{"开票日期", billTime(d.b).Format("2006-01-02 15:04:05")},
	}
	if d.draft {
		rows[3][0] = "制单日期"
	}
	for i, r := range rows {
		y := 7 + float64(i)*6
		d.ink(formBlue)
		d.font(8)
		d.cell(172, y, 18, 6, r[0]+"：", left)
		d.ink([3]int{})
		d.font(9)
		d.cell(189, y, x1-189, 6, r[1], left)
	}
	if d.draft {
		d.inked(1, func() {
			d.font(8)
			d.cell(172, 31, x1-172, 5, "未开具 不作报销凭证", left)
		})
	}
}

// row draws a ruled row of label/value pairs at y; the last pair takes what is left.
func (d *doc) row(y, h float64, pairs ...pair) {
	x := x0
	for i, pr := range pairs {
		w := pr.w
		if i == len(pairs)-1 {
			w = x1 - x
		}
		d.font(7.5)
		lw := d.width(pr.label) + 2*pad
		d.labelCell(x, y, lw, h, pr.label)
		d.valueCell(x+lw, y, w-lw, h, pr.value, left)
		x += w
	}
}

func (d *doc) labelCell(x, y, w, h float64, s string) {
	p := d.pdf
	p.SetFillColor(tint[0], tint[1], tint[2])
	p.SetDrawColor(formBlue[0], formBlue[1], formBlue[2])
	p.SetLineWidth(0.2)
	p.Rect(x, y, w, h, "FD")
	d.ink(formBlue)
	d.font(7.5)
	d.cell(x, y, w, h, s, center)
}

func (d *doc) valueCell(x, y, w, h float64, s string, align int) {
	p := d.pdf
	p.SetDrawColor(formBlue[0], formBlue[1], formBlue[2])
	p.SetLineWidth(0.2)
	p.Rect(x, y, w, h, "D")
	d.ink([3]int{})
	d.font(8.5)
	d.cell(x, y, w, h, s, align)
}

// amountCell is a value cell for money, red on a red bill.
func (d *doc) amountCell(x, y, w, h float64, s string, align int) {
	d.valueCell(x, y, w, h, "", align)
	d.ink(d.valueColour)
	d.font(8.5)
	d.cell(x, y, w, h, s, align)
}

func (d *doc) body(items []bill.Item) {
	b, m := d.b, &d.b.Medical
	y := boxTop
	payerID := b.Payer.ID
	if payerID != "" {
		payerID = bill.MaskID(payerID)
	}
	d.row(y, infoH,
		pair{"交款人统一社会信用代码", payerID, 78},
		pair{"交款人", b.Payer.Name, 75},
		pair{"性别", m.Sex, 0})
	y += infoH
	if b.Kind == bill.Inpatient {
		stay := ""
		if !m.AdmissionDate.IsZero() || !m.DischargeDate.IsZero() {
			stay = m.AdmissionDate.String() + " 至 " + m.DischargeDate.String()
		}
		d.row(y, infoH,
			pair{"业务流水号", b.Serial, 78},
			pair{"住院号", m.PatientNo, 75},
			pair{"住院日期", stay, 0})
	} else {
		d.row(y, infoH,
			pair{"业务流水号", b.Serial, 78},
			pair{"门诊号", m.PatientNo, 75},
			pair{"就诊日期", m.VisitDate.String(), 0})
	}
	y += infoH
	d.row(y, infoH,
		pair{"医疗机构类型", m.InstitutionType, 78},
		pair{"医保类型", m.InsuranceType, 75},
		pair{"医保编号", m.InsuranceNo, 0})
	y += infoH

	x := x0
	for _, c := range columns {
		d.labelCell(x, y, c.w, headH, c.title)
		x += c.w
	}
	y += headH
	for i := range rowsPerPage {
		x := x0
		for _, c := range columns {
			s := ""
			if i < len(items) {
				s = c.value(&items[i])
			}
			if c.money {
				d.amountCell(x, y, c.w, rowH, s, c.align)
			} else {
				d.valueCell(x, y, c.w, rowH, s, c.align)
			}
			x += c.w
		}
		y += rowH
	}

	d.labelCell(x0, y, 30, infoH, "金额合计（大写）")
	d.amountCell(x0+30, y, 120, infoH, b.Total.Capitals(), left)
	d.labelCell(x0+150, y, 20, infoH, "（小写）")
	d.amountCell(x0+170, y, formW-170, infoH, "￥"+b.Total.String(), left)
	y += infoH

	pm := &b.Payment
	w4 := formW / 4
	d.payRow(y, w4,
		pair{"医保统筹基金支付", pm.Fund.String(), 0},
		pair{"其他支付", pm.Other.String(), 0},
		pair{"个人账户支付", pm.Account.String(), 0},
		pair{"个人现金支付", pm.Cash.String(), 0})
	y += infoH
	second := []pair{
		{"个人自付", pm.SelfPay.String(), 0},
		{"个人自费", pm.SelfFunded.String(), 0},
	}
	if b.Kind == bill.Inpatient {
		second = append(second,
			pair{"预缴金额", pm.Prepaid.String(), 0},
			pair{"补缴金额", pm.Supplement.String(), 0},
			pair{"退费金额", pm.Refund.String(), 0})
	}
	d.payRow(y, formW/float64(len(second)), second...)
	y += infoH

	d.remark(y)
}

// payRow is a row of money pairs, each w wide.
func (d *doc) payRow(y, w float64, pairs ...pair) {
	x := x0
	for _, pr := range pairs {
		d.font(7.5)
		lw := d.width(pr.label) + 2*pad
		d.labelCell(x, y, lw, infoH, pr.label)
		d.amountCell(x+lw, y, w-lw, infoH, pr.value, right)
		x += w
	}
}

// remark is the 备注 row: on a red bill first the bill it reverses, in red; then the
// department, record number, issuing point and the remark. A long remark gets a third line
// in a smaller size before it is cut.
func (d *doc) remark(y float64) {
	b := d.b
	red := ""
	if b.Red != nil {
		red = "原票据：" + b.Red.OriginalCode + " " + b.Red.OriginalNumber
		if b.Red.Reason != "" {
			red += "　冲红原因：" + b.Red.Reason
		}
	}
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	add("科室：", b.Medical.Department)
	add("病历号：", b.Medical.RecordNo)
	add("开票点：", b.IssuingPoint)
	add("", b.Remark)
	text := strings.Join(parts, "　")
	if red != "" {
		text = red + "\n" + text
	}

	d.labelCell(x0, y, 14, remarkH, "备注")
	d.valueCell(x0+14, y, formW-14, remarkH, "", left)
	w := formW - 14 - 2*pad
	var lines []string
	lineH := 0.0
	for _, f := range []struct{ pt, lineH float64 }{{7.5, 3.9}, {6.5, 2.6}} {
		d.font(f.pt)
		lines, lineH = d.wrap(text, w), f.lineH
		if float64(len(lines))*lineH <= remarkH-1 {
			break
		}
	}
	if n := int((remarkH - 1) / lineH); len(lines) > n {
		lines = lines[:n]
		lines[n-1] = d.cut(lines[n-1], w)
	}
	redLines := 0
	if red != "" {
		redLines = len(d.wrap(red, w))
	}
	for i, l := range lines {
		if i < redLines {
			d.ink(sealRed)
		} else {
			d.ink([3]int{})
		}
		d.cell(x0+14, y+0.5+float64(i)*lineH, formW-14, lineH, l, left)
	}
}

// footer is below the ruled part: payee and signatures, the seal, the chain proof and the
// page number.
func (d *doc) footer(page int) {
	b := d.b
	y := boxTop + 3*infoH + headH + rowsPerPage*rowH + 3*infoH + remarkH + 1
	// label draws "l v" from x, in w at most.
	label := func(x, w float64, l, v string) {
		d.ink(formBlue)
		d.font(8)
		lw := d.width(l)
		d.cell(x-pad, y, lw+2*pad, 6, l, left)
		d.ink([3]int{})
		d.font(8.5)
		d.cell(x+lw-pad, y, w-lw, 6, v, left)
	}
	payee := b.Payee.Name
	if b.Payee.CreditCode != "" {
		payee += "（" + b.Payee.CreditCode + "）"
	}
	label(x0, 140-x0, "收款单位（章）：", payee)
	label(150, 40, "复核人：", b.Reviewer)
	label(192, x1-192, "收款人：", b.Cashier)

	if !d.draft {
		// Over the payee's name like a pressed seal, clear of the red link and the proof.
		d.hospitalSeal(d.hospitalName, 106, y+3, 13.5)
	}

	// The proof sits right of the seal, so the seal covers nothing a verifier must read.
	d.font(6.5)
	d.ink([3]int{90, 90, 90})
	lines := [2]string{"链上存证：未上链", ""}
	if d.draft {
		lines[0] = "链上存证：未上链（预览）"
	}
	if pr := d.o.Proof; pr != nil {
		lines[0] = "链上存证：交易 " + pr.TxHash + "　区块高度 " + strconv.FormatInt(pr.Height, 10)
		if d.o.Attachment != nil {
			lines[1] = "本 PDF 内嵌签名票据数据与证明（" + AttachmentName + "），可离线验证"
		}
	}
	for i, l := range lines {
		d.cell(80, pageH-9.5+float64(i)*3.6, x1-80+pad, 3.6, l, right)
	}
	d.font(7)
	d.cell(x1-40, 1.5, 40+pad, 4, fmt.Sprintf("第 %d 页 / 共 %d 页", page, d.pages), right)
}

var statusMarks = map[Status]string{Reversed: "已冲红", Void: "已作废", Exchanged: "已换开"}

// marks stamps the states that must not be missed: draft, red bill, reversed, void.
func (d *doc) marks() {
	if d.draft {
		d.watermark("预览", pageW/2, 78, 120, 20)
	}
	if d.red {
		d.stamp("红字冲销", 52, 21, 15, 8)
	}
	if s := statusMarks[d.o.Status]; s != "" {
		d.stamp(s, 203, 78, 24, 15)
	}
}
