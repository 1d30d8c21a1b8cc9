package render_test

import (
	"bytes"
	"fmt"
	"time"

	"ebill/app/bill"
	"ebill/render"
)

func ExampleRender() {
	day := time.Date(2026, 11, 23, 10, 15, 0, 0, time.FixedZone("CST", 8*3600))
	b := &bill.Issued{Bill: *bill.Sample(bill.Outpatient, "12320100466001234B", "MZ0001", 5, day),
		Number: "0000000001", CheckCode: "a1b2c3", IssuedAt: day} // as the ledger issues it

	var pdf bytes.Buffer
	err := render.Render(&pdf, b, render.Options{
		Province:    "江苏省",
		QRSignature: "MEUCIQDx",
		Proof:       &render.Proof{TxHash: "3f2a9c0b", Height: 42},
		Attachment:  []byte(`{"bill":"…","proof":"…"}`),
	})
	fmt.Println(err, bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")), pdf.Len() < 80<<10)
	// Output: <nil> true true
}

func ExampleQRPayload() {
	day := time.Date(2026, 11, 23, 10, 15, 0, 0, time.FixedZone("CST", 8*3600))
	b := &bill.Issued{Bill: *bill.Sample(bill.Outpatient, "12320100466001234B", "MZ0001", 1, day),
		Number: "0000000001", CheckCode: "a1b2c3", IssuedAt: day}

	payload := render.QRPayload(b, "MEUC_x9")
	fmt.Println(payload)
	f, _ := render.ParseQRPayload(payload)
	fmt.Println(f.Number, f.Total, f.Date, f.Signature)
	// Output:
	// 32060126_0000000001_a1b2c3_25.00_20261123_MEUC_x9
	// 0000000001 25.00 2026-11-23 MEUC_x9
}

func ExampleMissing() {
	b := bill.Sample(bill.Outpatient, "12320100466001234B", "MZ0001", 1, time.Now())
	b.Payer.Name = "王𠀀" // 𠀀 is U+20000, CJK Extension B
	for _, p := range render.Missing(b) {
		fmt.Println(p.Path, p.EN)
	}
	// Output: payer.name character '𠀀' (U+20000) is not in the bundled font; printing it needs a fallback font
}
