package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"ebill/app/bill"
	"ebill/app/wire"
	"ebill/wallet"
)

// Submit validates b, seals it to its hospital and bureau, signs, broadcasts, waits for the
// commit and returns the bill read back through the light node. Submitting the same bill
// again returns the one the ledger holds, with Existed set; another bill under the same org
// and serial is ErrConflict.
// The desk keeps b as the bill it sealed (its read-back and later views share its items),
// so b must not be changed after the call.
func (d *Desk) Submit(ctx context.Context, b *bill.Bill, p Progress) (*View, error) {
	rcpt, err := d.recipients(ctx)
	if err != nil {
		return nil, err
	}
	return d.submit(ctx, b, rcpt, p)
}

// BatchResult is the outcome of one bill of a batch.
type BatchResult struct {
	Index int    // position in the input
	ID    string // bill.ID of the bill
	View  *View  // nil on error
	Err   error
}

// batchWorkers bounds the bills of a batch in flight. Most of a bill's time is spent
// waiting for its block, so many overlap; the ledger accepts sequences out of order within
// a window of 128.
const batchWorkers = 96

// SubmitBatch submits bills concurrently through a bounded pipeline, as a HIS batch does.
// A bad bill never stops the others; the results are in input order.
func (d *Desk) SubmitBatch(ctx context.Context, bills []*bill.Bill, p Progress) []BatchResult {
	results := make([]BatchResult, len(bills))
	for i, b := range bills {
		results[i] = BatchResult{Index: i}
		if b != nil && b.OrgCode == d.acct.Org {
			results[i].ID, _, _ = d.serialID(b.Serial)
		}
	}
	// The org keys are read once for the batch: a rotation during a batch takes effect
	// from the next one.
	rcpt, err := d.recipients(ctx)
	if err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(batchWorkers, len(bills)) {
		wg.Go(func() {
			for i := range next {
				results[i].View, results[i].Err = d.submit(ctx, bills[i], rcpt, p)
			}
		})
	}
	for i := range bills {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// recipients are the current public keys of the desk's hospital and of its bureau, read
// with proofs: a bill is sealed to both.
func (d *Desk) recipients(ctx context.Context) ([][]byte, error) {
	if d.acct.Role != wire.RoleCashier {
		return nil, fmt.Errorf("submit as %s: %w: only a cashier submits bills", d.acct.Role, ErrWrongRole)
	}
	var keys [][]byte
	for _, org := range []string{d.acct.Org, d.acct.Bureau} {
		o, err := d.net.org(ctx, org)
		if err != nil {
			return nil, err
		}
		keys = append(keys, o.EncKey)
	}
	return keys, nil
}

func (d *Desk) submit(ctx context.Context, b *bill.Bill, rcpt [][]byte, p Progress) (*View, error) {
	if b == nil {
		return nil, fmt.Errorf("submit: %w: no bill", ErrInvalid)
	}
	if b.Red != nil {
		return nil, fmt.Errorf("submit %q: %w: a red bill is made by Reverse", b.Serial, ErrInvalid)
	}
	msg, plain, err := d.prepare(b, 1, rcpt, p)
	if err != nil {
		return nil, err
	}
	id := msg.ID()
	what := fmt.Sprintf("submit %s (serial %q)", id, b.Serial)
	s, err := d.send(ctx, msg, what, p)
	var r *wire.Refusal
	if errors.As(err, &r) && r.Code == wire.CodeStaleRevision {
		// The serial is a rejected or withdrawn bill's: the cashier signs its next
		// revision. Most submissions are new bills, so the record is read only here.
		v, rerr := d.record(ctx, id)
		if rerr != nil {
			return nil, rerr
		}
		if msg, _, err = d.prepare(b, v.Record.Revision+1, rcpt, p); err != nil {
			return nil, err
		}
		s, err = d.send(ctx, msg, what, p)
	}
	if err != nil {
		return nil, err
	}
	v, err := d.readBack(ctx, id, s.height, p)
	if err != nil {
		return nil, err
	}
	if v.Record.Commitment == msg.Commitment {
		return v, nil
	}
	// Each submission draws a fresh seed, so an earlier submission of this same bill has
	// another commitment too: only the content tells a repeat from a second bill that
	// reuses the serial.
	if v.Bill == nil {
		return nil, fmt.Errorf("submit %q: %w: bill %s is on the ledger under this serial, and this desk cannot read it to compare",
			b.Serial, ErrConflict, id)
	}
	held, err := v.Bill.Bill.Marshal()
	if err != nil {
		return nil, fmt.Errorf("submit %q: compare with bill %s: %w", b.Serial, id, err)
	}
	if !bytes.Equal(held, plain) {
		return nil, fmt.Errorf("submit %q: %w: bill %s on the ledger has this serial and other content",
			b.Serial, ErrConflict, id)
	}
	v.Existed = true
	return v, nil
}

// prepare checks b and makes its submission as revision rev: a fresh seed, the commitment
// to the bill's fields under it, the cashier's signature over the identity digest, and the
// payload (seed ‖ canonical bytes) sealed to rcpt and bound to this chain and bill. It also
// returns the canonical bytes, as stamped.
func (d *Desk) prepare(b *bill.Bill, rev uint32, rcpt [][]byte, p Progress) (*wire.SubmitBill, []byte, error) {
	if b.OrgCode != d.acct.Org {
		return nil, nil, fmt.Errorf("submit %q: %w: the bill is of org %q, the cashier of %q", b.Serial, ErrNotReader, b.OrgCode, d.acct.Org)
	}
	// The payee (收款单位) is the org as the ledger registers it, whatever a HIS file says:
	// the bureau's review refuses any other.
	if b.Payee.Name != d.acct.OrgName || b.Payee.CreditCode != d.acct.OrgCredit {
		stamped := *b
		stamped.Payee = bill.Payee{Name: d.acct.OrgName, CreditCode: d.acct.OrgCredit}
		b = &stamped
	}
	if err := b.Validate(); err != nil {
		return nil, nil, fmt.Errorf("submit %q: %w: %w", b.Serial, ErrInvalid, err)
	}
	plain, err := b.Marshal()
	if err != nil {
		return nil, nil, fmt.Errorf("submit %q: %w: %w", b.Serial, ErrInvalid, err)
	}
	id, tag, err := d.serialID(b.Serial)
	if err != nil {
		return nil, nil, fmt.Errorf("submit %q: %w", b.Serial, err)
	}
	step(p, StageSigning, "%s (serial %q)", id, b.Serial)
	var seed [seedSize]byte
	rand.Read(seed[:])
	commitment := b.Commit(seed)
	payload := append(seed[:], plain...)
	sealed := *b
	d.remember(commitment, opened{seed: seed, bill: &sealed})
	// The ledger keeps the creation time to the minute; the payload keeps it whole.
	msg := &wire.SubmitBill{
		Kind: b.Kind, Org: b.OrgCode, Serial: tag, Code: b.Code, Total: b.Total,
		Created: b.CreatedAt.Truncate(time.Minute), Revision: rev, Commitment: commitment,
	}
	digest := msg.Digest(d.net.ChainID())
	msg.Signature = d.id.Sign(digest[:])

	step(p, StageEncrypting, "%s (serial %q)", id, b.Serial)
	env, err := wallet.Seal(payload, wallet.AAD(d.net.ChainID(), id), rcpt...)
	if err != nil {
		return nil, nil, fmt.Errorf("submit %q: seal: %w", b.Serial, err)
	}
	msg.Payload = env.Marshal()
	return msg, plain, nil
}
