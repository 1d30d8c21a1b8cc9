package bill_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"ebill/app/bill"
)

func BenchmarkDecodeValidate(b *testing.B) {
	data, err := os.ReadFile("testdata/inpatient.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		bl, err := bill.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if err := bl.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibUnmarshal is the yardstick for DecodeValidate: encoding/json reading the
// same file into a Bill, without the strictness, the positions or the rules.
func BenchmarkStdlibUnmarshal(b *testing.B) {
	data, err := os.ReadFile("testdata/inpatient.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var bl bill.Bill
		if err := json.Unmarshal(data, &bl); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	bl := bill.Sample(bill.Inpatient, "12320100466001234B", "S1", 18, created)
	for b.Loop() {
		if _, err := bl.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate999(b *testing.B) {
	bl := bill.Sample(bill.Inpatient, "12320100466001234B", "S1", 999, created)
	for b.Loop() {
		if err := bl.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCapitals(b *testing.B) {
	m := bill.Money(12345678901)
	for b.Loop() {
		_ = m.Capitals()
	}
}

// BenchmarkCommit is the payload commitment a desk computes for every bill it seals, and
// a verifier for every bill it opens: one salted leaf per field. BenchmarkMarshal, the
// canonical bytes that are sealed, of the same 18-item bill, is its yardstick.
func BenchmarkCommit(b *testing.B) {
	bl := bill.Sample(bill.Inpatient, "12320100466001234B", "S1", 18, created)
	for b.Loop() {
		bl.Commit(seed)
	}
}
