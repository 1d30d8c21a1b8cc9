package service

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"

	"ebill/app/ledger"
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
	var current *wallet.OrgKey
	d.mu.Lock()
	for _, k := range d.keys {
		if string(k.KEMPublic()) == string(o.EncKey) {
			current = k
		}
	}
	d.mu.Unlock()
	if current == nil {
		return fmt.Errorf("grant key of %q: %w: %s holds no grant of epoch %d", o.ID, ErrNotReader, d.acct.Name, o.KeyEpoch)
	}
	wrapped, err := d.wrapFor(ctx, current, o.ID, member)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("grant key of %q epoch %d to %s", o.ID, o.KeyEpoch, wallet.Address(member))
	s, err := d.send(ctx, &ledger.GrantOrgKey{Org: o.ID, Member: member, Epoch: o.KeyEpoch, Wrapped: wrapped}, what, p)
	if err != nil {
		return err
	}
	if err := d.net.provable(ctx, s.height); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, _, err = call(ctx, d.net, func(ctx context.Context) (ledger.Grant, lightclient.Verified, error) {
		return d.net.lc.Grant(ctx, o.ID, member, o.KeyEpoch)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	step(p, StageVerified, "%s", what)
	return nil
}

// RotateOrgKey gives org a new key and grants it to members (the signer included unless it
// is the admin). Bills submitted afterwards are closed to everyone else. It returns the new
// key epoch.
func (d *Desk) RotateOrgKey(ctx context.Context, org string, members []ed25519.PublicKey, p Progress) (uint32, error) {
	if d.acct.Role != ledger.RoleAdmin && !slices.ContainsFunc(members, func(m ed25519.PublicKey) bool { return d.id.PublicKey().Equal(m) }) {
		return 0, fmt.Errorf("rotate key of %q: %w: the new key must be granted to %s, who rotates it", org, ErrInvalid, d.acct.Name)
	}
	k, err := wallet.NewOrgKey()
	if err != nil {
		return 0, fmt.Errorf("rotate key of %q: %w", org, err)
	}
	msg := &ledger.RotateOrgKey{Org: org, EncKey: k.KEMPublic()}
	for _, m := range members {
		wrapped, err := d.wrapFor(ctx, k, org, m)
		if err != nil {
			return 0, err
		}
		msg.Grants = append(msg.Grants, ledger.MemberGrant{Member: m, Wrapped: wrapped})
	}
	s, err := d.send(ctx, msg, fmt.Sprintf("rotate key of %q", org), p)
	if err != nil {
		return 0, err
	}
	if err := d.net.provable(ctx, s.height); err != nil {
		return 0, fmt.Errorf("rotate key of %q: %w", org, err)
	}
	o, err := d.net.org(ctx, org)
	if err != nil {
		return 0, err
	}
	if string(o.EncKey) != string(k.KEMPublic()) {
		return 0, fmt.Errorf("%w: rotate key of %q: the ledger holds another key", ErrVerification, org)
	}
	if org == d.acct.Org {
		if err := d.loadKeys(ctx, o); err != nil {
			return 0, err
		}
	}
	step(p, StageVerified, "key of %q at epoch %d", org, o.KeyEpoch)
	return o.KeyEpoch, nil
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
