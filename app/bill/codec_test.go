package bill_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ebill/app/bill"
	"ebill/internal/golden"
)

var examples = []string{"testdata/outpatient.json", "testdata/inpatient.json"}

func readExample(t testing.TB, path string) (*bill.Bill, []byte) {
	t.Helper()
	data := golden.Read(t, path)
	b, err := bill.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b, data
}

func TestExamplesRoundTrip(t *testing.T) {
	for _, path := range examples {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b, data := readExample(t, path)
			if err := b.Validate(); err != nil {
				t.Fatalf("example does not validate: %v", err)
			}
			var out bytes.Buffer
			if err := b.Encode(&out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), data) {
				t.Errorf("Encode differs from the file:\n%s", out.Bytes())
			}
			canon, err := b.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden.Equal(t, "testdata/vectors/"+strings.TrimSuffix(filepath.Base(path), ".json")+".canonical", canon)
			again, err := bill.Unmarshal(canon)
			if err != nil {
				t.Fatal(err)
			}
			if canon2, _ := again.Marshal(); !bytes.Equal(canon, canon2) {
				t.Errorf("Marshal after Unmarshal differs:\n%s\n%s", canon, canon2)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		in        string
		line, col int
		path      string
		msg       string
	}{
		{``, 1, 1, "", "unexpected end of input"},
		{`{"kind":`, 1, 9, "kind", "unexpected end of input"},
		{`[]`, 1, 1, "", "want a JSON object, got an array"},
		{`null`, 1, 1, "", "want a JSON object"},
		{`{"kind": "outpatient", "bogus": 1}`, 1, 24, "", `unknown field "bogus" (known: kind, code,`},
		{`{"Kind": "outpatient"}`, 1, 2, "", `unknown field "Kind"`},
		{`{"kind": "outpatient", "kind": "inpatient"}`, 1, 24, "", `repeated field "kind"`},
		{`{"kind": "outpatient", "number": "0000000042"}`, 1, 24, "", `field "number" is assigned by the ledger at issue`},
		{`{"check_code": "a81e7c"}`, 1, 2, "", `field "check_code" is assigned by the ledger at issue`},
		{"{\n  \"issued_at\": null}", 2, 3, "", `field "issued_at" is assigned by the ledger at issue`},
		{`{"red": {"number": "0000000042"}}`, 1, 10, "red", `unknown field "number"`},
		{"{\n  \"total\": \"12.345\"\n}", 2, 12, "total", `invalid amount "12.345": too many decimal places`},
		{`{"items": [{}, {"price": 1e2}]}`, 1, 26, "items[1].price", `invalid amount "1e2"`},
		{`{"payer": {"name": 12}}`, 1, 20, "payer.name", "want a string, got the number 12"},
		{`{"payer": {"name": "张三", "x": 1}}`, 1, 26, "payer", `unknown field "x" (known: name, type, id)`},
		{`{"total": true}`, 1, 11, "total", "want a string or number, got true"},
		{`{"items": {}}`, 1, 11, "items", "want an array, got an object"},
		{`{"payer": []}`, 1, 11, "payer", "want an object, got an array"},
		{`{"red": "x"}`, 1, 9, "red", `want an object or null, got the string "x"`},
		{`{"created": "yesterday"}`, 1, 13, "created", `invalid time "yesterday"`},
		{`{"medical": {"visit_date": "2026-02-30"}}`, 1, 28, "medical.visit_date", `invalid date "2026-02-30"`},
		{`{"medical": {"visit_date": 20261123}}`, 1, 28, "medical.visit_date", "want a date string"},
		{`{"kind": "outpatient",}`, 1, 23, "", "invalid character '}'"},
		{"{\n\"kind\" \"x\"}", 2, 8, "", "invalid character '\"' after object key"},
		{"{\"remark\": \"a\x01\"}", 1, 14, "remark", `invalid character '\x01' in string literal`},
		{`{"kind": "\x"}`, 1, 12, "kind", `invalid character 'x' in string escape code`},
		{`{"total": -}`, 1, 12, "total", "invalid character '}' in numeric literal"},
		{`{"total": 1.}`, 1, 13, "total", "invalid character '}' after decimal point in numeric literal"},
		{`{"total": 1e}`, 1, 13, "total", "invalid character '}' in exponent of numeric literal"},
		{`{"total": 01}`, 1, 12, "", "invalid character '1' after object key:value pair"},
		{`{"kind": nul}`, 1, 13, "kind", "invalid character '}' in literal null"},
		{`{"kind": true}`, 1, 10, "kind", "want a string, got true"},
		{`{"kind": 张}`, 1, 10, "kind", "invalid character '张' looking for beginning of value"},
		{`{"items": [{} {}]}`, 1, 15, "items", "invalid character '{' after array element"},
		{`{"kind": "outpatient"`, 1, 22, "", "unexpected end of input"},
		{`{"kind": "outpat`, 1, 17, "kind", "unexpected end of input"},
		{`{} {}`, 1, 4, "", "unexpected data after the bill"},
		{`{}x`, 1, 3, "", "unexpected data after the bill"},
	}
	for _, tt := range tests {
		_, err := bill.Decode(strings.NewReader(tt.in))
		var se *bill.SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, bill.ErrSyntax) {
			t.Errorf("Decode(%q) = %v, want a *SyntaxError wrapping ErrSyntax", tt.in, err)
			continue
		}
		if se.Line != tt.line || se.Col != tt.col || se.Path != tt.path || !strings.Contains(se.Err.Error(), tt.msg) {
			t.Errorf("Decode(%q):\n got line %d col %d path %q: %v\nwant line %d col %d path %q: %s",
				tt.in, se.Line, se.Col, se.Path, se.Err, tt.line, tt.col, tt.path, tt.msg)
		}
		if want := fmt.Sprintf("line %d, column %d", tt.line, tt.col); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestDecodeLenient(t *testing.T) {
	// HIS systems write amounts as numbers and absent fields as null; both are fine.
	in := `{"kind": "out\u0070atient", "total": 12.3, "red": null, "remark": null,
		"items": [{"quantity": 0.5, "price": 2, "amount": "1.00", "remark": "\u6025\u8bca"}], "medical": {"visit_date": ""}}`
	b, err := bill.Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != "outpatient" || b.Total != 1230 || b.Red != nil || b.Items[0].Quantity != 500 || b.Items[0].Price != 200 || b.Items[0].Remark != "急诊" || !b.Medical.VisitDate.IsZero() {
		t.Errorf("decoded %+v", b)
	}
	if b, err := bill.Decode(strings.NewReader(`{"items": []}`)); err != nil || len(b.Items) != 0 {
		t.Errorf("empty items: %v, %v", b, err)
	}
}

func TestDecodeTooLarge(t *testing.T) {
	in := `{"remark": "` + strings.Repeat("x", bill.MaxInput) + `"}`
	if _, err := bill.Decode(strings.NewReader(in)); !errors.Is(err, bill.ErrSyntax) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Decode of %d bytes = %v", len(in), err)
	}
}

// FuzzDecode feeds the decoder anything: it must not panic, must say where a bad input
// went wrong, and whatever it accepts must survive Marshal and Encode unchanged.
func FuzzDecode(f *testing.F) {
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{``, `{}`, `null`, `{"total": 12.3}`, `{"items": [{"quantity": "0.5"}]}`,
		`{"red": {"reason": "退费"}}`, `{"created": "2026-11-23T10:15:32+08:00"}`, `{"kind": 1}`, `{"a":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := bill.Unmarshal(data)
		valid := json.Valid(data)
		if err != nil {
			var se *bill.SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, bill.ErrSyntax) || se.Line < 1 || se.Col < 1 {
				t.Fatalf("error %v is not a positioned *SyntaxError", err)
			}
			if msg := se.Err.Error(); valid && (strings.HasPrefix(msg, "invalid character") || msg == "unexpected end of input") {
				t.Fatalf("valid JSON refused as malformed: %v", err)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid JSON accepted: %q", data)
		}
		_ = b.Validate()
		canon, err := b.Marshal()
		if err != nil {
			t.Fatalf("decoded bill does not marshal: %v", err)
		}
		again, err := bill.Unmarshal(canon)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal()) = %v for %s", err, canon)
		}
		if canon2, _ := again.Marshal(); !bytes.Equal(canon, canon2) {
			t.Fatalf("Marshal is not stable:\n%s\n%s", canon, canon2)
		}
		var out bytes.Buffer
		if err := b.Encode(&out); err != nil {
			t.Fatal(err)
		}
		third, err := bill.Decode(&out)
		if err != nil {
			t.Fatalf("Decode(Encode()) = %v", err)
		}
		if canon3, _ := third.Marshal(); !bytes.Equal(canon, canon3) {
			t.Fatalf("Encode round trip differs:\n%s\n%s", canon, canon3)
		}
	})
}

func ExampleDecode() {
	in := `{
  "kind": "outpatient",
  "total": "12.345"
}`
	_, err := bill.Decode(strings.NewReader(in))
	fmt.Println(err)
	var se *bill.SyntaxError
	if errors.As(err, &se) {
		fmt.Println("line", se.Line, "column", se.Col)
	}
	// Output:
	// bill json line 3, column 12: total: invalid amount "12.345": too many decimal places: at most 2
	// line 3 column 12
}
