package bill

// Derive computes every amount of the bill that follows from others, as a cashier's form
// shows them while the cashier types: each item's amount (quantity × price, rounded to the
// fen), the total, the cash part of the payment (what the fund, other payers and the
// personal account leave), and, when a deposit was taken, the refund (or the supplement)
// that settles what was paid in against the cash. The payers' shares and the deposit are the hospital's
// inputs; Validate checks a bill whose amounts were derived elsewhere against these rules.
func (b *Bill) Derive() {
	b.Total = 0
	for i := range b.Items {
		it := &b.Items[i]
		it.Amount = it.Quantity.Times(it.Price)
		b.Total += it.Amount
	}
	p := &b.Payment
	p.Cash = b.Total - p.Fund - p.Other - p.Account
	if p.Prepaid == 0 && p.Supplement == 0 && p.Refund == 0 {
		return
	}
	// What was paid in beyond the cash is refunded; what falls short is paid in as well. On a
	// red bill every amount is negated, and so is the test.
	excess := p.Prepaid + p.Supplement - p.Cash
	if over := excess >= 0; over == (b.Red == nil) {
		p.Refund = excess
	} else {
		p.Supplement, p.Refund = p.Cash-p.Prepaid, 0
	}
}
