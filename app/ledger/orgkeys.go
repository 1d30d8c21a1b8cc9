package ledger

import (
	"bytes"
	"cmp"
	"crypto/ed25519"

	"ebill/app/wire"
)

// Org keys: grants are append-only, rotations reach every reading member before their
// epoch comes into use. See docs/SECURITY.md.

// holdsKey checks that the signer is of org and holds a grant of its key of epoch.
func (x *exec) holdsKey(org string, epoch uint32, t wire.MsgType) error {
	if err := x.requireOrg(org, "to hand on its key"); err != nil {
		return err
	}
	if _, ok, err := load(x, wire.GrantKey(org, x.signer.Pub, epoch), wire.DecodeGrant); err != nil || ok {
		return err
	}
	return wire.Refuse(wire.CodeNoGrant, "signer %s holds no grant of %q key epoch %d needed for %s", short(x.signer.Pub), org, epoch, t)
}

// grant records member's wrapped key of org's epoch e, once, and counts it in e: member
// must be a reading account of org without a grant of that epoch.
func (x *exec) grant(org string, e *wire.OrgEpoch, member ed25519.PublicKey, wrapped []byte) error {
	epoch := e.Epoch
	a, ok, err := load(x, wire.AccountKey(member), wire.DecodeAccount)
	switch {
	case err != nil:
		return err
	case !ok:
		return wire.Refuse(wire.CodeNotFound, "member %x has no account", member)
	case a.Org != org:
		return wire.Refuse(wire.CodeWrongOrg, "member %s belongs to %q, not %q", short(member), a.Org, org)
	case !wire.ReadsBills(a.Role):
		return wire.Refuse(wire.CodeInvalid, "member %s is the %s, who holds no org key", short(member), a.Role)
	}
	key := wire.GrantKey(org, member, epoch)
	if raw, err := x.st.Get(key); err != nil || raw != nil {
		return cmp.Or(err, wire.Refuse(wire.CodeExists, "member %s already holds a grant of %q key epoch %d; grants are never overwritten", short(member), org, epoch))
	}
	g := wire.Grant{Org: org, Member: member, Epoch: epoch, Wrapped: wrapped, By: x.signer.Pub, Height: x.height}
	x.st.set(key, g.Encode())
	e.Granted++
	return nil
}

func (x *exec) epoch(org string, epoch uint32) (wire.OrgEpoch, error) {
	return mustLoad(x, "key epoch", org, wire.EpochKey(org, epoch), wire.DecodeEpoch)
}

func (x *exec) grantOrgKey(m *wire.GrantOrgKey) error {
	o, err := x.org(m.Org)
	if err != nil {
		return err
	}
	if m.Epoch > o.KeyEpoch {
		return wire.Refuse(wire.CodeBadEpoch, "org %q key epoch %d is not in use (current %d); a pending epoch is granted by rotate_org_key", m.Org, m.Epoch, o.KeyEpoch)
	}
	if !x.genesis {
		if err := x.holdsKey(m.Org, m.Epoch, m.Type()); err != nil {
			return err
		}
	}
	e, err := x.epoch(m.Org, m.Epoch)
	if err != nil {
		return err
	}
	if err := x.grant(m.Org, &e, m.Member, m.Wrapped); err != nil {
		return err
	}
	x.st.set(wire.EpochKey(m.Org, m.Epoch), e.Encode())
	return nil
}

// rotateOrgKey starts epoch o.NextEpoch+1 or continues the pending o.NextEpoch with more
// grants; the epoch comes into use when every reading member holds a grant of it. The
// signer must hold the current key, unless nobody does: that is how the first member of an
// org registered after genesis makes its key.
func (x *exec) rotateOrgKey(m *wire.RotateOrgKey) error {
	o, err := x.org(m.Org)
	if err != nil {
		return err
	}
	cur, err := x.epoch(o.ID, o.KeyEpoch)
	if err != nil {
		return err
	}
	if cur.Granted > 0 {
		if err := x.holdsKey(m.Org, o.KeyEpoch, m.Type()); err != nil {
			return err
		}
	} else if err := x.requireOrg(m.Org, "to make its key"); err != nil {
		return err
	}
	var e wire.OrgEpoch
	switch {
	case m.Epoch == o.NextEpoch+1:
		e = wire.OrgEpoch{Org: o.ID, Epoch: m.Epoch, EncKey: m.EncKey, By: x.signer.Pub, Height: x.height}
		o.NextEpoch = m.Epoch
	case m.Epoch == o.NextEpoch && o.NextEpoch > o.KeyEpoch:
		if e, err = x.epoch(o.ID, m.Epoch); err != nil {
			return err
		}
		if !bytes.Equal(e.EncKey, m.EncKey) {
			return wire.Refuse(wire.CodeBadEpoch, "pending key epoch %d of org %q has another public key", m.Epoch, m.Org)
		}
	default:
		return wire.Refuse(wire.CodeBadEpoch, "org %q is at key epoch %d (rotation to %d started); a rotation names the next epoch or continues the pending one", m.Org, o.KeyEpoch, o.NextEpoch)
	}
	for _, g := range m.Grants {
		if err := x.grant(m.Org, &e, g.Member, g.Wrapped); err != nil {
			return err
		}
	}
	if e.Granted >= o.Members {
		e.Complete = true
		o.KeyEpoch, o.EncKey = e.Epoch, e.EncKey
	}
	x.st.set(wire.EpochKey(o.ID, e.Epoch), e.Encode())
	x.putOrg(&o)
	return nil
}

// bindCode binds a bill code to the bureau whose clerks allocate its numbers.
func (x *exec) bindCode(m *wire.BindCode) error {
	b, err := x.org(m.Bureau)
	if err != nil {
		return err
	}
	if b.Kind != wire.OrgBureau {
		return wire.Refuse(wire.CodeInvalid, "org %q is a %s; codes are bound to bureaus", m.Bureau, b.Kind)
	}
	if c, ok, err := load(x, wire.CodeKey(m.Code), wire.DecodeCode); err != nil || ok {
		return cmp.Or(err, wire.Refuse(wire.CodeExists, "bill code %s is bound to %q", m.Code, c.Bureau))
	}
	c := wire.CodeBinding{Code: m.Code, Bureau: m.Bureau}
	x.st.set(wire.CodeKey(m.Code), c.Encode())
	return nil
}
