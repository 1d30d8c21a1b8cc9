package bill

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// ParseMoney reads an amount in yuan with at most two decimals: "1234.56", "-12.3", "0.05",
// "12". It refuses everything a float parser would let through — exponents, "+", spaces,
// NaN, Inf, a bare "." — so an amount means exactly what it says.
func ParseMoney(s string) (Money, error) { return parseFixed[Money](s, 2, "amount") }

// String writes the amount in yuan with two decimals: "1234.56", "-0.05", "12.00".
func (m Money) String() string { return formatFixed(int64(m), 2, false) }

// MarshalJSON writes the amount as a string, "12.30", so no JSON reader turns it into a float.
func (m Money) MarshalJSON() ([]byte, error) { return quoteJSON(m.String()), nil }

// UnmarshalJSON accepts a string ("12.30") or a number literal (12.3), read from its text.
func (m *Money) UnmarshalJSON(data []byte) error { return unmarshalFixed(data, m, ParseMoney) }

// ParseQuantity reads a quantity with at most three decimals: "2", "0.5", "1.250", "-1".
func ParseQuantity(s string) (Quantity, error) { return parseFixed[Quantity](s, 3, "quantity") }

// String writes the quantity without trailing zeros: "2", "0.5", "1.25".
func (q Quantity) String() string { return formatFixed(int64(q), 3, true) }

// MarshalJSON writes the quantity as a string, "0.5", like Money.
func (q Quantity) MarshalJSON() ([]byte, error) { return quoteJSON(q.String()), nil }

// UnmarshalJSON accepts a string ("0.5") or a number literal (0.5), read from its text.
func (q *Quantity) UnmarshalJSON(data []byte) error { return unmarshalFixed(data, q, ParseQuantity) }

// unmarshalFixed reads a JSON string or number literal with parse; null changes nothing.
func unmarshalFixed[T ~int64](data []byte, dst *T, parse func(string) (T, error)) error {
	s, ok, err := jsonScalar(data)
	if err != nil || !ok {
		return err
	}
	v, err := parse(s)
	if err == nil {
		*dst = v
	}
	return err
}

// Times is the amount of q units at unit price p, rounded half away from zero to the fen,
// as a cashier rounds. A product beyond the range of Money saturates at its end; no valid
// bill comes near it, and Validate then reports the mismatch.
func (q Quantity) Times(p Money) Money {
	neg := (q < 0) != (p < 0)
	hi, lo := bits.Mul64(magnitude(int64(q)), magnitude(int64(p)))
	if hi >= 1000 {
		return saturate(neg)
	}
	quo, rem := bits.Div64(hi, lo, 1000)
	if rem >= 500 {
		quo++
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if quo > limit {
		return saturate(neg)
	}
	return Money(signed(quo, neg))
}

func saturate(neg bool) Money {
	if neg {
		return math.MinInt64
	}
	return math.MaxInt64
}

// signed negates a magnitude of up to 1<<63, which -int64 alone cannot hold.
func signed(mag uint64, neg bool) int64 {
	if neg {
		return -int64(mag-1) - 1
	}
	return int64(mag)
}

func magnitude(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

var (
	errEmpty    = errors.New("empty")
	errDecimals = errors.New("too many decimal places")
	errOverflow = errors.New("out of range")
)

// parseFixed reads [-]digits[.digits] with at most places decimals as an integer scaled by
// 10^places; what names the value in errors.
func parseFixed[T ~int64](s string, places int, what string) (T, error) {
	v, err := parseScaled(s, places)
	if err != nil {
		return 0, fmt.Errorf("invalid %s %q: %w", what, s, err)
	}
	return T(v), nil
}

func parseScaled(s string, places int) (int64, error) {
	if s == "" {
		return 0, errEmpty
	}
	neg := s[0] == '-'
	body := s
	if neg {
		body = s[1:]
	}
	whole, frac, dot := strings.Cut(body, ".")
	if whole == "" || (dot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("want digits with an optional leading - and decimal point, like %s", example(places))
	}
	if len(frac) > places {
		return 0, fmt.Errorf("%w: at most %d", errDecimals, places)
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var v uint64
	for i := 0; i < len(whole)+places; i++ {
		d := uint64(0)
		switch {
		case i < len(whole):
			d = uint64(whole[i] - '0')
		case i-len(whole) < len(frac):
			d = uint64(frac[i-len(whole)] - '0')
		}
		if v > (limit-d)/10 {
			return 0, errOverflow
		}
		v = v*10 + d
	}
	return signed(v, neg), nil
}

func example(places int) string {
	if places == 2 {
		return "1234.56"
	}
	return "1.25"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatFixed writes v/10^places; trim drops trailing fractional zeros.
func formatFixed(v int64, places int, trim bool) string {
	digits := strconv.FormatUint(magnitude(v), 10)
	if len(digits) <= places {
		digits = strings.Repeat("0", places-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-places], digits[len(digits)-places:]
	if trim {
		frac = strings.TrimRight(frac, "0")
	}
	s := whole
	if frac != "" {
		s += "." + frac
	}
	if v < 0 {
		s = "-" + s
	}
	return s
}

func quoteJSON(s string) []byte {
	b := make([]byte, 0, len(s)+2)
	return append(append(append(b, '"'), s...), '"')
}

// jsonScalar gives the text of a JSON string or number literal; ok is false for null,
// which leaves the value as it was, as encoding/json does.
func jsonScalar(data []byte) (text string, ok bool, err error) {
	s := string(data)
	switch {
	case s == "null":
		return "", false, nil
	case strings.HasPrefix(s, `"`):
		if err := json.Unmarshal(data, &s); err != nil {
			return "", false, err
		}
	}
	return s, true, nil
}
