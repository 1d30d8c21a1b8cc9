package service

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"ebill/app/wire"
	"ebill/lightclient"
	"ebill/wallet"
)

// GrantOrgKey hands the current key of the desk's org to a member (by signing key), so they
// can read its bills, old ones included. The desk must hold that key.
func (d *Desk) GrantOrgKey(ctx context.Context, member ed25519.PublicKey, p Progress) error {
	o, err := d.net.org(ctx, d.acct.Org)
	if err != nil {
		return err
	}
	// The grants are read again: the key may have been rotated since the desk opened.
	if err := d.loadKeys(ctx, o); err != nil {
		return err
	}
	current := d.currentKey(o)
	if current == nil {
		return fmt.Errorf("grant key of %q: %w: %s holds no grant of epoch %d", o.ID, ErrNotReader, d.acct.Name, o.KeyEpoch)
	}
	wrapped, err := d.wrapFor(ctx, current, o.ID, member)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("grant key of %q epoch %d to %s", o.ID, o.KeyEpoch, wallet.Address(member))
	s, err := d.send(ctx, &wire.GrantOrgKey{Org: o.ID, Member: member, Epoch: o.KeyEpoch, Wrapped: wrapped}, what, p)
	if err != nil {
		return err
	}
	if err := d.net.provable(ctx, s.height); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, _, err = call(ctx, d.net, func(ctx context.Context) (wire.Grant, lightclient.Verified, error) {
		return d.net.lc.Grant(ctx, o.ID, member, o.KeyEpoch)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	step(p, StageVerified, "%s", what)
	return nil
}

// rotationGrants is how many grants one rotate transaction carries: 1.25 KB each, well
// inside a transaction's 64 KB.
const rotationGrants = 40

// RotateOrgKey gives the desk's org a new key, keeping its serial secret, and grants it to
// members, in as many transactions as that takes. The ledger puts the new key in use only
// once every member of the org who reads its bills holds it: a rotation that leaves one
// out returns an error wrapping ErrInvalid and changes nothing for the org's bills. It
// returns the new key epoch.
func (d *Desk) RotateOrgKey(ctx context.Context, org string, members []ed25519.PublicKey, p Progress) (uint32, error) {
	what := fmt.Sprintf("rotate key of %q", org)
	if d.acct.Role != wire.RoleFinance && d.acct.Role != wire.RoleCashier {
		return 0, fmt.Errorf("%s as %s: %w: only the org's clerks and cashiers hold its key", what, d.acct.Role, ErrWrongRole)
	}
	if org != d.acct.Org {
		return 0, fmt.Errorf("%s: %w: %s is of %q", what, ErrNotReader, d.acct.Name, d.acct.Org)
	}
	o, err := d.net.org(ctx, org)
	if err != nil {
		return 0, err
	}
	if err := d.loadKeys(ctx, o); err != nil {
		return 0, err
	}
	var k *wallet.OrgKey
	if current := d.currentKey(o); current != nil {
		k, err = current.Rotate()
	} else {
		// Only the first member of an org nobody holds the key of may make it.
		k, err = wallet.NewOrgKey()
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	msg := &wire.RotateOrgKey{Org: org, Epoch: o.NextEpoch + 1, EncKey: k.KEMPublic()}
	for i, m := range members {
		wrapped, err := d.wrapFor(ctx, k, org, m)
		if err != nil {
			return 0, err
		}
		msg.Grants = append(msg.Grants, wire.MemberGrant{Member: m, Wrapped: wrapped})
		if len(msg.Grants) < rotationGrants && i < len(members)-1 {
			continue
		}
		s, err := d.send(ctx, msg, fmt.Sprintf("%s to epoch %d", what, msg.Epoch), p)
		if err != nil {
			return 0, err
		}
		if err := d.net.provable(ctx, s.height); err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		msg.Grants = nil
	}
	if o, err = d.net.org(ctx, org); err != nil {
		return 0, err
	}
	if o.KeyEpoch != msg.Epoch {
		return 0, fmt.Errorf("%s: %w: epoch %d is granted to %d of the org's %d members and comes into use only when all hold it",
			what, ErrInvalid, msg.Epoch, len(members), o.Members)
	}
	if string(o.EncKey) != string(k.KEMPublic()) {
		return 0, fmt.Errorf("%w: %s: the ledger holds another key", ErrVerification, what)
	}
	if err := d.loadKeys(ctx, o); err != nil {
		return 0, err
	}
	step(p, StageVerified, "key of %q at epoch %d", org, o.KeyEpoch)
	return o.KeyEpoch, nil
}

// currentKey is the desk's key of o's current epoch, or nil.
func (d *Desk) currentKey(o wire.Org) *wallet.OrgKey {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range d.keys {
		if string(k.KEMPublic()) == string(o.EncKey) {
			return k
		}
	}
	return nil
}

// wrapFor wraps k to the registered encryption key of member, who must be of org.
func (d *Desk) wrapFor(ctx context.Context, k *wallet.OrgKey, org string, member ed25519.PublicKey) ([]byte, error) {
	a, err := d.net.account(ctx, member)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", wallet.Address(member), err)
	}
	if a.Org != org {
		return nil, fmt.Errorf("member %s: %w: %q is of org %q, not %q", wallet.Address(member), ErrNotReader, a.Name, a.Org, org)
	}
	return wallet.Grant(k, a.EncKey)
}
