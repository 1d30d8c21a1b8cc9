package service

import (
	"context"
	"fmt"
	"time"

	"ebill/app/bill"
	"ebill/app/wire"
)

// ownBill reads bill id for what a cashier of its org does to it, decrypted when open
// is set.
func (d *Desk) ownBill(ctx context.Context, what, id string, open bool) (*View, error) {
	if d.acct.Role != wire.RoleCashier {
		return nil, fmt.Errorf("%s as %s: %w: only a cashier of the hospital may", what, d.acct.Role, ErrWrongRole)
	}
	read := d.record
	if open {
		read = d.view
	}
	v, err := read(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.Record.Org != d.acct.Org {
		return nil, fmt.Errorf("%s: %w: the bill is of org %q, the cashier of %q", what, ErrNotReader, v.Record.Org, d.acct.Org)
	}
	return v, nil
}

// Issue has the ledger give an approved bill its number and check code and returns the
// issued bill, verified. Issuing an issued bill returns it as it is.
func (d *Desk) Issue(ctx context.Context, id string, p Progress) (*View, error) {
	what := "issue " + id
	v, err := d.ownBill(ctx, what, id, false)
	if err != nil {
		return nil, err
	}
	switch v.Record.Status {
	case wire.StatusIssued, wire.StatusReversed:
		return d.readBack(ctx, id, 0, p)
	case wire.StatusApproved:
	default:
		return nil, fmt.Errorf("%s: %w: it is %s", what, ErrBadState, v.Record.Status)
	}
	v, _, err = d.transition(ctx, id, &wire.Issue{ID: id}, what, p, func(b wire.BillRecord) bool {
		return b.Status == wire.StatusIssued || b.Status == wire.StatusReversed
	})
	return v, err
}

// Reverse cancels an issued bill with a red bill (红冲): negated amounts, linked to the
// original, business serial bill.RedSerial of the original's. It returns the red bill, issued.
// Reversing a reversed bill returns its red bill.
func (d *Desk) Reverse(ctx context.Context, id, reason string, p Progress) (*View, error) {
	what := "reverse " + id
	v, err := d.ownBill(ctx, what, id, true)
	if err != nil {
		return nil, err
	}
	switch v.Record.Status {
	case wire.StatusReversed:
		return d.readBack(ctx, v.Record.ReversedBy, 0, p)
	case wire.StatusIssued:
	default:
		return nil, fmt.Errorf("%s: %w: it is %s", what, ErrBadState, v.Record.Status)
	}
	if v.Record.RedOf != "" {
		return nil, fmt.Errorf("%s: %w: a red bill cannot be reversed", what, ErrBadState)
	}
	rcpt, err := d.recipients(ctx)
	if err != nil {
		return nil, err
	}
	red := v.Bill.Reversal(id, bill.RedSerial(v.Bill.Serial), reason, time.Now())
	sub, _, err := d.prepare(red, 1, rcpt, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	redID := sub.ID()
	sealed, err := d.sealReason(ctx, v, wire.EventReversed, reason)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	v, _, err = d.transition(ctx, redID, &wire.Reverse{ID: id, Reason: sealed, Red: *sub}, what, p,
		func(b wire.BillRecord) bool { return b.RedOf == id })
	return v, err
}

// Withdraw takes back a bill that has not been issued.
func (d *Desk) Withdraw(ctx context.Context, id, reason string, p Progress) (*View, error) {
	what := "withdraw " + id
	v, err := d.ownBill(ctx, what, id, false)
	if err != nil {
		return nil, err
	}
	sealed, err := d.sealReason(ctx, v, wire.EventWithdrawn, reason)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	v, _, err = d.transition(ctx, id, &wire.Withdraw{ID: id, Reason: sealed}, what, p,
		func(b wire.BillRecord) bool { return b.Status == wire.StatusWithdrawn })
	return v, err
}
