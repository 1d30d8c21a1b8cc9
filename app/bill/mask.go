package bill

import "strings"

// MaskID hides the middle of an ID number or credit code for printing: it keeps the first
// six and the last four characters of 320102199001011234 (320102********1234). Values
// shorter than 15 characters (passports, other documents) keep a quarter at each end.
func MaskID(id string) string {
	r := []rune(id)
	head, tail := 6, 4
	if len(r) < 15 {
		head, tail = len(r)/4, len(r)/4
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}
