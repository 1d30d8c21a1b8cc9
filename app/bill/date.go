package bill

import (
	"fmt"
	"time"
)

const dateLayout = "2006-01-02"

// ParseDate reads a calendar day written 2026-11-23 and refuses days that do not exist.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %q: want a real day written like 2026-11-23", s)
	}
	return DateOf(t), nil
}

// DateOf is the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String writes the day as 2026-11-23, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// IsZero reports whether d is the zero Date, which stands for "not given".
func (d Date) IsZero() bool { return d == Date{} }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d == e:
		return 0
	case d.Year < e.Year || d.Year == e.Year && (d.Month < e.Month || d.Month == e.Month && d.Day < e.Day):
		return -1
	}
	return 1
}

// MarshalJSON writes "2026-11-23"; fields holding a Date are tagged omitzero, so the zero
// Date, written "", appears only when marshalled on its own.
func (d Date) MarshalJSON() ([]byte, error) { return quoteJSON(d.String()), nil }

// UnmarshalJSON reads "2026-11-23", and "" as the zero Date; null, as encoding/json
// expects, changes nothing.
func (d *Date) UnmarshalJSON(data []byte) error {
	s, ok, err := jsonScalar(data)
	if err != nil || !ok {
		return err
	}
	if data[0] != '"' {
		return fmt.Errorf("invalid date %s: want a string like \"2026-11-23\"", data)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err == nil {
		*d = v
	}
	return err
}
