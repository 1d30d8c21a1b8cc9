// Package render draws a medical e-bill (医疗收费电子票据) as the PDF the patient receives
// and the cashier prints. It needs only the bill: a preview renders before the ledger has
// seen it.
//
//	err := render.Render(w, b, render.Options{
//		Province:    "江苏省",
//		QRSignature: sig,                                  // ASCII, ends the QR payload
//		Proof:       &render.Proof{TxHash: h, Height: 42}, // the chain proof footer
//		Attachment:  bundle,                               // embedded as ebill.json
//	})
//
// The page is the 241 × 140 mm form of a provincial medical bill: title, 财政部监制 and the
// finance bureau's supervision seal; 票据代码, 票据号码, 校验码 and 开票日期; the payer with
// the ID masked; the medical information; the items in the standard category order; the
// total in capitals and figures; the payment split; remark, cashier, reviewer and the
// hospital's e-seal; a QR code with the verification payload (see QRPayload); and the tx
// hash and height of the chain record. Bills with more items than a page holds continue on
// further pages, each a full form marked 第 x 页 / 共 y 页.
//
// A bill without a Number has not been issued: it is always drawn as a draft, with a 预览
// watermark, no QR code and 未开具 不作报销凭证. A red bill (冲红) prints its amounts in red
// under a 红字冲销 mark with the original bill's code and number. Options.Status adds the
// 已冲红, 已作废 and 已换开 marks.
//
// Attachment, typically the signed bill data with its proof bundle, is embedded as the file
// ebill.json, so the PDF alone can be verified offline; ReadAttachment reads it back (as
// does pdfdetach -saveall).
//
// The bytes depend only on the input: the document date is the bill's issue time (its
// creation time for a draft), so the same bill renders to the same file.
//
// The bundled font (package assets) covers Latin and the CJK of the Basic Multilingual
// Plane. Missing reports the characters of a bill it lacks — rare name characters of CJK
// Extension B such as 𠀀 — so validation can warn; Render draws them from
// Options.FallbackFont, and without one returns an error naming the field and character
// rather than printing a box.
package render

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"ebill/app/bill"
)

// Status is the state of an issued bill, marked on the PDF.
type Status int

const (
	Issued    Status = iota // a valid bill, no mark
	Draft                   // not issued: 预览 watermark; implied by an empty Number
	Reversed                // 已冲红: a red bill reverses it
	Void                    // 已作废
	Exchanged               // 已换开: exchanged for a paper bill
)

var statusNames = [...]string{"issued", "draft", "reversed", "void", "exchanged"}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Proof is the chain record of the bill, printed in the footer.
type Proof struct {
	TxHash string // hex hash of the issue transaction
	Height int64  // block height of the record
}

// Options are the parts of the PDF that are not in the bill itself.
type Options struct {
	// Province starts the title: 江苏省 gives 江苏省医疗门诊收费票据（电子）.
	Province string
	// HospitalSeal is the name around the hospital's e-seal; the payee's name if empty.
	HospitalSeal string
	// BureauSeal is the name on the supervision seal; Province + 财政厅 if empty, or 财政部.
	BureauSeal string
	// Status marks a reversed, void or exchanged bill. A bill without a Number is always
	// a draft, whatever Status says.
	Status Status
	// QRSignature, printable ASCII, ends the QR payload after an underscore.
	QRSignature string
	// Proof, if set, fills the chain proof footer.
	Proof *Proof
	// Attachment, if set, is embedded as the file ebill.json.
	Attachment []byte
	// FallbackFont (TrueType, OpenType or a collection) draws characters the bundled font
	// lacks.
	FallbackFont []byte
}

// AttachmentName is the file name of Options.Attachment inside the PDF.
const AttachmentName = "ebill.json"

// Errors of Render besides the missing characters (ErrMissingGlyph).
var (
	ErrNoBill      = errors.New("no bill")
	ErrQRSignature = errors.New("QR signature must be printable ASCII")
	ErrStatus      = errors.New("unknown status")
)

// Render writes b as a PDF e-bill to w.
func Render(w io.Writer, b *bill.Issued, opts Options) error {
	if b == nil {
		return fmt.Errorf("render: %w", ErrNoBill)
	}
	if err := checkSignature(opts.QRSignature); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if opts.Status < Issued || opts.Status > Exchanged {
		return fmt.Errorf("render: %w %d", ErrStatus, opts.Status)
	}
	bf := bundled()
	if bf.err != nil {
		return fmt.Errorf("render: %w", bf.err)
	}
	var fb *fallbackFont
	if opts.FallbackFont != nil {
		var err error
		if fb, err = parseFallback(opts.FallbackFont); err != nil {
			return fmt.Errorf("render: %w", err)
		}
	}
	fields := printed(b, &opts)
	if m := missing(bf, fb, fields); len(m) > 0 {
		errs := make([]error, len(m))
		for i := range m {
			errs[i] = m[i]
		}
		return fmt.Errorf("render: %w", errors.Join(errs...))
	}
	ttf, has := bf.face(fields)
	d := newDoc(newPDF(ttf), b, &opts, has, fb)
	d.metadata()
	d.draw()
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("render: bill %q: %w", b.Serial, err)
	}
	return nil
}

// Missing reports, as problems for bill validation, each character of b's printed fields
// that the bundled font lacks. They print only with Options.FallbackFont; without it Render
// fails.
func Missing(b *bill.Bill) []bill.Problem {
	bf := bundled()
	if b == nil || bf.err != nil {
		return nil
	}
	var ps []bill.Problem
	for _, m := range missing(bf, nil, printed(&bill.Issued{Bill: *b}, &Options{})) {
		ps = append(ps, bill.Problem{
			Path: m.field,
			ZH:   fmt.Sprintf("字体缺少字符“%c”（%U），需配置后备字体才能打印", m.r, m.r),
			EN:   fmt.Sprintf("character %q (%U) is not in the bundled font; printing it needs a fallback font", m.r, m.r),
		})
	}
	return ps
}

// field is one printed value and its JSON path, for error messages.
type field struct{ path, value string }

// printed lists every text the PDF prints that depends on the bill (the form's own text
// is found by bundledFont.formRunes), so that characters are checked before drawing starts,
// each error can name its field, and the font subset holds them.
func printed(b *bill.Issued, o *Options) []field {
	fs := []field{
		{"code", b.Code}, {"number", b.Number}, {"check_code", b.CheckCode},
		{"serial", b.Serial}, {"total", b.Total.Capitals()},
		{"payer.name", b.Payer.Name}, {"payer.id", b.Payer.ID},
		{"payee.name", b.Payee.Name}, {"payee.credit_code", b.Payee.CreditCode},
		{"issuing_point", b.IssuingPoint},
		{"medical.institution_type", b.Medical.InstitutionType},
		{"medical.department", b.Medical.Department},
		{"medical.patient_no", b.Medical.PatientNo},
		{"medical.record_no", b.Medical.RecordNo},
		{"medical.sex", b.Medical.Sex},
		{"medical.insurance_type", b.Medical.InsuranceType},
		{"medical.insurance_no", b.Medical.InsuranceNo},
		{"remark", b.Remark}, {"cashier", b.Cashier}, {"reviewer", b.Reviewer},
		{"options.province", o.Province},
	}
	hospital, bureau := sealNames(b, o)
	fs = append(fs, field{"options.hospital_seal", hospital}, field{"options.bureau_seal", bureau})
	if b.Red != nil {
		fs = append(fs,
			field{"red.original_code", b.Red.OriginalCode},
			field{"red.original_number", b.Red.OriginalNumber},
			field{"red.reason", b.Red.Reason})
	}
	for i, it := range b.Items {
		p := "items[" + strconv.Itoa(i) + "]."
		fs = append(fs,
			field{p + "code", it.Code}, field{p + "name", it.Name},
			field{p + "category", string(it.Category)}, field{p + "unit", it.Unit},
			field{p + "remark", it.Remark})
	}
	return fs
}

// sealNames are the names on the hospital's and the bureau's seals.
func sealNames(b *bill.Issued, o *Options) (hospital, bureau string) {
	hospital, bureau = cmp.Or(o.HospitalSeal, b.Payee.Name), o.BureauSeal
	if bureau == "" {
		bureau = "财政部"
		if o.Province != "" {
			bureau = o.Province + "财政厅"
		}
	}
	return hospital, bureau
}

// chinaTime is the zone the dates on a bill are read in. A fixed offset, not tzdata, so the
// PDF is the same on every machine.
var chinaTime = time.FixedZone("CST", 8*3600)

// billTime is the time the bill stands for: its issue, or its creation for a draft.
func billTime(b *bill.Issued) time.Time {
	if !b.IssuedAt.IsZero() {
		return b.IssuedAt.In(chinaTime)
	}
	return b.CreatedAt.In(chinaTime)
}
