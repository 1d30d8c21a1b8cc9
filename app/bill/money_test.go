package bill_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"ebill/app/bill"
)

func TestCapitals(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"0", "零元整"},
		{"0.01", "壹分"},
		{"0.05", "伍分"},
		{"0.10", "壹角"},
		{"0.50", "伍角"},
		{"0.55", "伍角伍分"},
		{"1.00", "壹元整"},
		{"1.01", "壹元零壹分"},
		{"1.10", "壹元壹角"},
		{"9.99", "玖元玖角玖分"},
		{"10.00", "壹拾元整"},
		{"10.50", "壹拾元伍角"},
		{"11.00", "壹拾壹元整"},
		{"12.00", "壹拾贰元整"},
		{"20.00", "贰拾元整"},
		{"30.07", "叁拾元零柒分"},
		{"100.00", "壹佰元整"},
		{"100.05", "壹佰元零伍分"},
		{"101.00", "壹佰零壹元整"},
		{"110.00", "壹佰壹拾元整"},
		{"234.76", "贰佰叁拾肆元柒角陆分"},
		{"1000.00", "壹仟元整"},
		{"1001.01", "壹仟零壹元零壹分"},
		{"1010.00", "壹仟零壹拾元整"},
		{"1100.00", "壹仟壹佰元整"},
		{"1409.50", "壹仟肆佰零玖元伍角"},
		{"1680.32", "壹仟陆佰捌拾元叁角贰分"},
		{"5610.56", "伍仟陆佰壹拾元伍角陆分"},
		{"10000.00", "壹万元整"},
		{"10001.00", "壹万零壹元整"},
		{"10010.00", "壹万零壹拾元整"},
		{"10100.00", "壹万零壹佰元整"},
		{"11000.00", "壹万壹仟元整"},
		{"100000.00", "壹拾万元整"},
		{"100100.00", "壹拾万零壹佰元整"},
		{"101000.00", "壹拾万壹仟元整"},
		{"110000.00", "壹拾壹万元整"},
		{"1000000.00", "壹佰万元整"},
		{"1000001.00", "壹佰万零壹元整"},
		{"1000400.00", "壹佰万零肆佰元整"},
		{"1004000.00", "壹佰万肆仟元整"},
		{"1010000.00", "壹佰零壹万元整"},
		{"10000000.00", "壹仟万元整"},
		{"20000000.00", "贰仟万元整"},
		{"100000000.00", "壹亿元整"},
		{"100000000.10", "壹亿元壹角"},
		{"100000010.00", "壹亿零壹拾元整"},
		{"100010000.00", "壹亿零壹万元整"},
		{"110000000.00", "壹亿壹仟万元整"},
		{"123456789.01", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零壹分"},
		{"1000000000000.00", "壹万亿元整"},
		{"1000100000000.00", "壹万零壹亿元整"},
		{"92233720368547758.07", "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分"},
		{"-0.05", "负伍分"},
		{"-12.00", "负壹拾贰元整"},
		{"-1409.50", "负壹仟肆佰零玖元伍角"},
		{"-5610.56", "负伍仟陆佰壹拾元伍角陆分"},
		{"-92233720368547758.08", "负玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零捌分"},
	}
	for _, tt := range tests {
		m, err := bill.ParseMoney(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Capitals(); got != tt.want {
			t.Errorf("%s: Capitals() = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseMoney(t *testing.T) {
	good := []struct {
		in   string
		want bill.Money
	}{
		{"1234.56", 123456},
		{"-12.3", -1230},
		{"0.05", 5},
		{"12", 1200},
		{"0", 0},
		{"-0", 0},
		{"0.5", 50},
		{"007.50", 750},
		{"92233720368547758.07", math.MaxInt64},
		{"-92233720368547758.08", math.MinInt64},
	}
	for _, tt := range good {
		got, err := bill.ParseMoney(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, why string }{
		{"", "empty"},
		{"12.345", "too many decimal places"},
		{"0.001", "too many decimal places"},
		{"NaN", "want digits"},
		{"Inf", "want digits"},
		{"-Inf", "want digits"},
		{"1e2", "want digits"},
		{"1E2", "want digits"},
		{" 12", "want digits"},
		{"12 ", "want digits"},
		{"+12", "want digits"},
		{"1,234.56", "want digits"},
		{"12.", "want digits"},
		{".5", "want digits"},
		{"-", "want digits"},
		{"--1", "want digits"},
		{"0x10", "want digits"},
		{"12.3.4", "want digits"},
		{"１２", "want digits"},
		{"¥12", "want digits"},
		{"92233720368547758.08", "out of range"},
		{"-92233720368547758.09", "out of range"},
		{"99999999999999999999", "out of range"},
	}
	for _, tt := range bad {
		_, err := bill.ParseMoney(tt.in)
		if err == nil {
			t.Errorf("ParseMoney(%q) succeeded", tt.in)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("%q", tt.in)) || !strings.Contains(msg, tt.why) {
			t.Errorf("ParseMoney(%q) error %q should quote the input and say %q", tt.in, msg, tt.why)
		}
	}
}

func TestMoneyString(t *testing.T) {
	for m, want := range map[bill.Money]string{
		123456: "1234.56", -5: "-0.05", 1200: "12.00", 0: "0.00", 7: "0.07", -100: "-1.00",
		math.MinInt64: "-92233720368547758.08",
	} {
		if got := m.String(); got != want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(m), got, want)
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	type doc struct {
		M bill.Money    `json:"m"`
		Q bill.Quantity `json:"q"`
	}
	out, err := json.Marshal(doc{1230, 500})
	if err != nil || string(out) != `{"m":"12.30","q":"0.5"}` {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
	for _, tt := range []struct {
		in      string
		want    doc
		wantErr bool
	}{
		{`{"m":"12.30","q":"0.5"}`, doc{1230, 500}, false},
		{`{"m":12.3,"q":0.5}`, doc{1230, 500}, false},
		{`{"m":-12,"q":2}`, doc{-1200, 2000}, false},
		{`{"m":null,"q":null}`, doc{7, 7}, false}, // null leaves the value alone
		{`{"m":1e2}`, doc{}, true},
		{`{"m":12.345}`, doc{}, true},
		{`{"m":true}`, doc{}, true},
		{`{"m":"abc"}`, doc{}, true},
		{`{"q":"1.2345"}`, doc{}, true},
	} {
		got := doc{7, 7}
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr || !tt.wantErr && got != tt.want {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestQuantity(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bill.Quantity
		str  string
	}{
		{"2", 2000, "2"},
		{"0.5", 500, "0.5"},
		{"1.250", 1250, "1.25"},
		{"-1", -1000, "-1"},
		{"0.001", 1, "0.001"},
		{"0", 0, "0"},
		{"22.5", 22500, "22.5"},
	} {
		q, err := bill.ParseQuantity(tt.in)
		if err != nil || q != tt.want || q.String() != tt.str {
			t.Errorf("ParseQuantity(%q) = %d (%q), %v; want %d (%q)", tt.in, q, q, err, tt.want, tt.str)
		}
	}
	for _, in := range []string{"", "1.2345", "1e3", "+1", "1/2", "½"} {
		if _, err := bill.ParseQuantity(in); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ParseQuantity(%q) error = %v, want one quoting the input", in, err)
		}
	}
}

func TestTimes(t *testing.T) {
	for _, tt := range []struct {
		q    bill.Quantity
		p    bill.Money
		want bill.Money
	}{
		{1000, 2500, 2500},
		{2000, 2680, 5360},
		{22500, 13, 293}, // 2.925 rounds up
		{9500, 21, 200},  // 1.995 rounds up
		{500, 1, 1},      // half a fen rounds away from zero
		{499, 1, 0},
		{-500, 1, -1},
		{-22500, 13, -293},
		{500, -1, -1},
		{0, 123456, 0},
		{1, math.MaxInt64, 9223372036854776},
		{math.MinInt64, -1, 9223372036854776},
		{math.MaxInt64, 1000, math.MaxInt64},
		{1000, math.MinInt64, math.MinInt64},
		{math.MaxInt64, 2000, math.MaxInt64}, // saturates
		{-math.MaxInt64, 2000, math.MinInt64},
		{math.MinInt64, math.MinInt64, math.MaxInt64},
	} {
		if got := tt.q.Times(tt.p); got != tt.want {
			t.Errorf("Quantity(%d).Times(%d) = %d, want %d", tt.q, tt.p, got, tt.want)
		}
	}
}

func TestDate(t *testing.T) {
	d, err := bill.ParseDate("2026-11-23")
	if err != nil || d != (bill.Date{Year: 2026, Month: 11, Day: 23}) || d.String() != "2026-11-23" {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	for _, in := range []string{"", "2026-02-30", "2026-1-5", "20261123", "2026-11-23T00:00:00Z", "2026/11/23"} {
		if _, err := bill.ParseDate(in); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ParseDate(%q) error = %v, want one quoting the input", in, err)
		}
	}
	type doc struct {
		D bill.Date `json:"d,omitzero"`
	}
	if out, _ := json.Marshal(doc{}); string(out) != `{}` {
		t.Errorf("zero Date marshals as %s, want it omitted", out)
	}
	if out, _ := json.Marshal(doc{d}); string(out) != `{"d":"2026-11-23"}` {
		t.Errorf("Date marshals as %s", out)
	}
	var got doc
	if err := json.Unmarshal([]byte(`{"d":"2026-11-23"}`), &got); err != nil || got.D != d {
		t.Errorf("Unmarshal = %v, %v", got, err)
	}
	got.D = d
	if err := json.Unmarshal([]byte(`{"d":null}`), &got); err != nil || got.D != d {
		t.Errorf("Unmarshal of null = %v, %v; want it unchanged", got.D, err)
	}
	if err := json.Unmarshal([]byte(`{"d":""}`), &got); err != nil || !got.D.IsZero() || got.D.String() != "" {
		t.Errorf("Unmarshal of \"\" = %v, %v; want the zero Date", got.D, err)
	}
	for _, in := range []string{`{"d":20261123}`, `{"d":"2026-13-01"}`} {
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", in)
		}
	}
	for _, tt := range []struct {
		a, b string
		want int
	}{{"2026-11-23", "2026-11-23", 0}, {"2026-11-22", "2026-11-23", -1}, {"2026-12-01", "2026-11-30", 1}, {"2025-12-31", "2026-01-01", -1}} {
		a, _ := bill.ParseDate(tt.a)
		b, _ := bill.ParseDate(tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// FuzzParseMoney checks ParseMoney against math/big: whatever it accepts is exactly the
// decimal written, survives String and JSON, and has capitals; whatever it refuses is quoted.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1234.56", "-12.3", "0.05", "12", "12.345", "1e2", "NaN", "+1", " 1", "92233720368547758.07", "-92233720368547758.08", "92233720368547758.08", "007.50", "-0", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := bill.ParseMoney(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("error %q does not quote the input", err)
			}
			return
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok || strings.ContainsAny(s, "eE/+ ") {
			t.Fatalf("ParseMoney accepted %q", s)
		}
		if fen := r.Mul(r, big.NewRat(100, 1)); !fen.IsInt() || fen.Num().Int64() != int64(m) || !fen.Num().IsInt64() {
			t.Fatalf("ParseMoney(%q) = %d fen, want %s", s, m, fen)
		}
		if back, err := bill.ParseMoney(m.String()); err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %d, but its String %q reads back as %d, %v", s, m, m, back, err)
		}
		var j bill.Money
		if data, _ := m.MarshalJSON(); j.UnmarshalJSON(data) != nil || j != m {
			t.Fatalf("JSON round trip of %d gave %d", m, j)
		}
		if c := m.Capitals(); c == "" || strings.HasPrefix(c, "负") != (m < 0) {
			t.Fatalf("Capitals(%d) = %q", m, c)
		}
	})
}

func ExampleMoney_Capitals() {
	for _, s := range []string{"1409.50", "100100.00", "100.05", "0.50", "-12"} {
		m, _ := bill.ParseMoney(s)
		fmt.Println(m, m.Capitals())
	}
	// Output:
	// 1409.50 壹仟肆佰零玖元伍角
	// 100100.00 壹拾万零壹佰元整
	// 100.05 壹佰元零伍分
	// 0.50 伍角
	// -12.00 负壹拾贰元整
}

func ExampleParseMoney() {
	_, err := bill.ParseMoney("12.345")
	fmt.Println(err)
	q, _ := bill.ParseQuantity("22.5")
	p, _ := bill.ParseMoney("0.13")
	fmt.Println(q, "×", p, "=", q.Times(p))
	// Output:
	// invalid amount "12.345": too many decimal places: at most 2
	// 22.5 × 0.13 = 2.93
}
