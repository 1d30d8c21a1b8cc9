package bill

import "time"

// Money is an amount in fen (分, 0.01 yuan). Never a float.
type Money int64

// Quantity is an item quantity in thousandths of a unit, so 0.5 boxes is 500.
type Quantity int64

// Date is a calendar day without a time zone, written 2006-01-02.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}
