package service

import (
	"context"
	"fmt"

	"ebill/app/wire"
	"ebill/wallet"
)

// Reasons of withdrawals, rejections and reversals never stand in clear on the ledger: the
// desk seals each with the note key of the bill's first envelope (wallet.NoteKey), so
// whoever can open the bill — its hospital and its bureau — reads them, and nobody else.
// The additional data binds the chain, the bill and the kind of event, so a sealed reason
// cannot be moved to another bill or passed off as another event's.

func noteAAD(chainID, billID string, t wire.EventType) []byte {
	return append(wallet.AAD(chainID, billID), "/"+t.String()...)
}

// noteKey opens the note key of bill v from the envelope of its first revision.
func (d *Desk) noteKey(ctx context.Context, v *View) (*wallet.NoteKey, error) {
	id := v.ID
	env, err := d.envelope(ctx, id, v.first)
	if err != nil {
		return nil, err
	}
	k, err := d.key(ctx, env)
	if err != nil {
		return nil, err
	}
	nk, err := env.NoteKey(wallet.AAD(d.net.ChainID(), id), k)
	if err != nil {
		return nil, fmt.Errorf("%w: note key of bill %s: %w", ErrVerification, id, err)
	}
	return nk, nil
}

// sealReason seals reason for event t of bill v; no reason seals to nothing.
func (d *Desk) sealReason(ctx context.Context, v *View, t wire.EventType, reason string) ([]byte, error) {
	id := v.ID
	if reason == "" {
		return nil, nil
	}
	if len(reason) > wire.MaxReason {
		return nil, fmt.Errorf("%s reason of bill %s: %w: %d bytes exceed %d", t, id, ErrInvalid, len(reason), wire.MaxReason)
	}
	nk, err := d.noteKey(ctx, v)
	if err != nil {
		return nil, err
	}
	return nk.Seal([]byte(reason), noteAAD(d.net.ChainID(), id, t)), nil
}

// openNotes fills v.Notes with the reasons of v's events and v.Reason with the latest. A
// reason that does not open (sealed wrongly by a hostile member) is left out: it hides
// nothing the ledger needs, and the rest of the bill still reads.
func (d *Desk) openNotes(ctx context.Context, v *View) error {
	events := v.Timeline
	var nk *wallet.NoteKey
	for i, e := range events {
		if len(e.Sealed) == 0 {
			continue
		}
		if nk == nil {
			var err error
			if nk, err = d.noteKey(ctx, v); err != nil {
				return err
			}
			v.Notes = make([]string, len(events))
		}
		if text, err := nk.Open(e.Sealed, noteAAD(d.net.ChainID(), v.ID, e.Type)); err == nil {
			v.Notes[i], v.Reason = string(text), string(text)
		}
	}
	return nil
}
