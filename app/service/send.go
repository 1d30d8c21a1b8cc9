package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ebill/app/wire"
)

// Stage is a step of a use case, reported through Progress.
type Stage string

// The stages, in the order a submission passes them.
const (
	StageSigning    Stage = "signing"
	StageEncrypting Stage = "encrypting"
	StageSending    Stage = "sending"
	StageCommitted  Stage = "committed"
	StageVerified   Stage = "verified"
)

// Progress receives the stages of long work. Calls may come from several goroutines at once
// during a batch; detail names the bill (its serial or id) and what happened.
type Progress interface {
	Step(stage Stage, detail string)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(stage Stage, detail string)

// Step calls f.
func (f ProgressFunc) Step(stage Stage, detail string) { f(stage, detail) }

func step(p Progress, s Stage, format string, args ...any) {
	if p != nil {
		p.Step(s, fmt.Sprintf(format, args...))
	}
}

// sent is a transaction's outcome: the ledger's Result and the height of its block, 0 when
// CheckTx already answered that the bill exists.
type sent struct {
	result wire.Result
	height int64
	code   wire.Code
}

// sendAttempts bounds how often one message is signed and sent: again after a commit
// timeout (the ledger's idempotence or the caller's check of the record makes that safe)
// and after a replay refusal (another desk of the same identity used the sequence).
const sendAttempts = 3

// send signs msg with the next sequence, broadcasts it and waits for its block.
// CodeDuplicate is an outcome, not an error: the bill exists.
func (d *Desk) send(ctx context.Context, msg wire.Msg, what string, p Progress) (sent, error) {
	var last error
	for range sendAttempts {
		tx, err := wire.NewTx(d.net.ChainID(), d.id, d.seq.Add(1), msg)
		if err != nil {
			return sent{}, fmt.Errorf("%s: %w", what, err)
		}
		hash := txHash(tx)
		ch := d.net.watch.register(hash)
		step(p, StageSending, "%s", what)
		res, err := d.net.broadcast(ctx, tx)
		if err != nil {
			d.net.watch.cancel(hash)
			return sent{}, fmt.Errorf("%s: %w", what, err)
		}
		if code := wire.Code(res.Code); code != wire.CodeOK {
			d.net.watch.cancel(hash)
			if code == wire.CodeReplay {
				last = refusal(what, code, res.Log)
				if err := d.resync(ctx); err != nil {
					return sent{}, err
				}
				continue
			}
			if code == wire.CodeDuplicate {
				r, err := wire.DecodeResult(res.Data)
				return sent{result: r, code: code}, err
			}
			return sent{}, refusal(what, code, res.Log)
		}
		wctx, cancel := context.WithTimeout(ctx, 4*d.net.timeout)
		select {
		case c := <-ch:
			cancel()
			code := wire.Code(c.result.Code)
			switch code {
			case wire.CodeOK, wire.CodeDuplicate:
				var r wire.Result
				if len(c.result.Data) > 0 {
					if r, err = wire.DecodeResult(c.result.Data); err != nil {
						return sent{}, fmt.Errorf("%s: result: %w", what, err)
					}
				}
				step(p, StageCommitted, "%s at height %d", what, c.height)
				return sent{result: r, height: c.height, code: code}, nil
			case wire.CodeReplay:
				last = refusal(what, code, c.result.Log)
				if err := d.resync(ctx); err != nil {
					return sent{}, err
				}
				continue
			}
			return sent{}, refusal(what, code, c.result.Log)
		case <-wctx.Done():
			cancel()
			d.net.watch.cancel(hash)
			if ctx.Err() != nil {
				return sent{}, fmt.Errorf("%s: %w: %w", what, ErrTimeout, ctx.Err())
			}
			last = fmt.Errorf("%s: %w: not committed within %v", what, ErrTimeout, 4*d.net.timeout)
		}
	}
	return sent{}, last
}

// resync moves the sequence counter past the one the ledger has seen.
func (d *Desk) resync(ctx context.Context) error {
	a, err := d.net.account(ctx, d.id.PublicKey())
	if err != nil {
		return fmt.Errorf("resync sequence: %w", err)
	}
	for {
		cur := d.seq.Load()
		if a.Seq <= cur || d.seq.CompareAndSwap(cur, a.Seq) {
			return nil
		}
	}
}

// refusal is the error of a transaction the ledger refused, wrapping the sentinel callers
// branch on and the *wire.Refusal.
func refusal(what string, code wire.Code, log string) error {
	sentinel := ErrRefused
	switch code {
	case wire.CodeWrongRole:
		sentinel = ErrWrongRole
	case wire.CodeWrongOrg, wire.CodeNoGrant:
		sentinel = ErrNotReader
	case wire.CodeNotFound:
		sentinel = ErrNotFound
	case wire.CodeBadState, wire.CodeStaleRevision:
		sentinel = ErrBadState
	case wire.CodeSegmentExhausted, wire.CodeNoSegment:
		sentinel = ErrSegmentExhausted
	case wire.CodeInvalid:
		sentinel = ErrInvalid
	}
	return fmt.Errorf("%s: %w: %w", what, sentinel, &wire.Refusal{Code: code, Log: log})
}

// transition sends msg, which moves bill id on, and returns the bill read back. done says
// whether a record already shows the transition: a retry of a transaction that landed
// after all is refused as a bad state, and the record then tells success from refusal.
func (d *Desk) transition(ctx context.Context, id string, msg wire.Msg, what string, p Progress, done func(wire.BillRecord) bool) (*View, sent, error) {
	s, err := d.send(ctx, msg, what, p)
	if errors.Is(err, ErrBadState) && done != nil {
		if v, rerr := d.record(ctx, id); rerr == nil && done(v.Record) {
			s, err = sent{}, nil
		}
	}
	if err != nil {
		return nil, s, err
	}
	v, err := d.readBack(ctx, id, s.height, p)
	return v, s, err
}

// readBack waits until the state after block height is provable and reads bill id there,
// decrypted when the desk may read it.
func (d *Desk) readBack(ctx context.Context, id string, height int64, p Progress) (*View, error) {
	if err := d.net.provable(ctx, height); err != nil {
		return nil, fmt.Errorf("read back bill %q: %w", id, err)
	}
	v, err := d.view(ctx, id)
	if err != nil && (v == nil || !errors.Is(err, ErrNotReader)) {
		return nil, err
	}
	step(p, StageVerified, "%s verified at height %d (%.0f%% of voting power)", id, v.Verified.Height, v.Verified.SignedPercent)
	return v, nil
}

// provable waits until the light node can prove the state after block height (0: now).
// One waiter at a time asks the light node to verify new headers; the others watch its
// latest header. A batch has a hundred bills waiting at once, and each request to verify
// is a round trip to the primary under the light node's one verification lock.
func (n *Network) provable(ctx context.Context, height int64) error {
	if height <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 4*n.timeout)
	defer cancel()
	t := time.NewTicker(provablePoll)
	defer t.Stop()
	for {
		st := n.lc.Status()
		if st.Height > height {
			return nil
		}
		if n.headerWaiter.TryLock() {
			_, err := n.lc.WaitHeight(ctx, height)
			n.headerWaiter.Unlock()
			return lightErr(err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: header %d not verified (latest %d): %w", ErrTimeout, height+1, st.Height, ctx.Err())
		case <-t.C:
		}
	}
}

// provablePoll is how often provable looks at the light node's latest header.
const provablePoll = 20 * time.Millisecond
