package render

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"ebill/app/bill"
)

// QRPayload is the text of the bill's QR code: bill code, number, check code, total and the
// bill date (YYYYMMDD, China time) joined by underscores, then "_" and sig when sig is not
// empty:
//
//	32060126_0000000001_a1b2c3_123.45_20261123_<sig>
//
// It is ASCII so that no QR reader has to guess a charset. A red bill's total is negative.
func QRPayload(b *bill.Issued, sig string) string {
	p := strings.Join([]string{
		b.Code, b.Number, b.CheckCode, b.Total.String(), billTime(b).Format("20060102"),
	}, "_")
	if sig != "" {
		p += "_" + sig
	}
	return p
}

// QRFields are the parts of a QR payload.
type QRFields struct {
	Code, Number, CheckCode string
	Total                   bill.Money
	Date                    bill.Date
	Signature               string // may contain underscores; empty if none
}

// ErrQRPayload reports a QR text that is not a bill's payload.
var ErrQRPayload = errors.New("not an e-bill QR payload")

// ParseQRPayload splits a QR payload made by QRPayload into its fields. It checks the
// shape of the amount and the date only; whether they match a bill is the verifier's
// business.
func ParseQRPayload(s string) (QRFields, error) {
	parts := strings.SplitN(s, "_", 6)
	if len(parts) < 5 {
		return QRFields{}, fmt.Errorf("%w: %q has %d fields, want 5 or 6", ErrQRPayload, s, len(parts))
	}
	total, err := bill.ParseMoney(parts[3])
	if err != nil {
		return QRFields{}, fmt.Errorf("%w: %w", ErrQRPayload, err)
	}
	day, err := time.Parse("20060102", parts[4])
	if err != nil {
		return QRFields{}, fmt.Errorf("%w: date %q", ErrQRPayload, parts[4])
	}
	q := QRFields{Code: parts[0], Number: parts[1], CheckCode: parts[2], Total: total, Date: bill.DateOf(day)}
	if len(parts) == 6 {
		q.Signature = parts[5]
	}
	return q, nil
}

func checkSignature(sig string) error {
	for i := 0; i < len(sig); i++ {
		if sig[i] <= ' ' || sig[i] > '~' {
			return fmt.Errorf("%w: %q", ErrQRSignature, sig)
		}
	}
	return nil
}

// encodeQR is the QR code of payload, at error correction level M (15%: a crease or a
// stamp does not spoil it).
func encodeQR(payload string) (barcode.Barcode, error) {
	code, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qr code of %q: %w", payload, err)
	}
	return code, nil
}

// drawQR draws code with side size mm at (x, y), each run of dark modules in a row as one
// vector rectangle: sharp at any zoom and printer, and a few hundred bytes.
func drawQR(pdf *fpdf.Fpdf, code barcode.Barcode, x, y, size float64) {
	n := code.Bounds().Dx()
	m := size / float64(n)
	dark := func(i, j int) bool {
		r, _, _, _ := code.At(i, j).RGBA()
		return r == 0
	}
	pdf.SetFillColor(0, 0, 0)
	for j := range n {
		for i := 0; i < n; {
			if !dark(i, j) {
				i++
				continue
			}
			start := i
			for i < n && dark(i, j) {
				i++
			}
			// A hair of overlap keeps anti-aliasing from drawing seams between rows.
			pdf.Rect(x+float64(start)*m, y+float64(j)*m, float64(i-start)*m, m+0.02, "F")
		}
	}
}
