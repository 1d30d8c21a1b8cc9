package wallet

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// Grant format, version 2 (protocol v2):
//
//	"EBG" 0x02   magic and version
//	key id (8)   of the org key granted
//	HPKE enc (1120) ‖ sealed (seed ‖ serial secret) (64+16), with the 12 bytes above as
//	HPKE aad
//
// Version 1 carried the seed alone; it is refused as ErrFormat, since a member without the
// serial secret could not find the org's bills by business serial.
const (
	grantMagic  = "EBG\x02"
	grantHeader = len(grantMagic) + keyIDSize
	grantSize   = grantHeader + kemEncSize + 2*SecretSize + 16
	labelGrant  = "ebill/v2/org-grant"
	labelSerial = "ebill/v2/serial-tag"
)

// OrgKey is an organisation's decryption key: an HPKE key pair derived from a 32-byte
// seed exactly as an identity's is, and the org's serial secret. Publish
// [OrgKey.KEMPublic]; give the rest to members only through [Grant].
type OrgKey struct {
	seed   [SecretSize]byte
	serial [SecretSize]byte // keys SerialTag; the same in every epoch of the org
	kemKey
}

// NewOrgKey makes the first key of an org: a fresh seed and a fresh serial secret.
func NewOrgKey() (*OrgKey, error) {
	var seed, serial [SecretSize]byte
	rand.Read(seed[:])
	rand.Read(serial[:])
	return orgKeyFrom(seed[:], serial[:])
}

// Rotate makes the org's next key: a fresh seed with the same serial secret, so business
// serials keep their tags (and bills their ids) across rotations. Grant it to every member
// who stays.
func (k *OrgKey) Rotate() (*OrgKey, error) {
	var seed [SecretSize]byte
	rand.Read(seed[:])
	return orgKeyFrom(seed[:], k.serial[:])
}

func orgKeyFrom(seed, serial []byte) (*OrgKey, error) {
	k := &OrgKey{}
	copy(k.seed[:], seed)
	copy(k.serial[:], serial)
	var err error
	k.kemKey, err = deriveKEM(k.seed[:])
	return k, err
}

// SerialTag is what the ledger sees of a business serial (业务流水号): a keyed hash that
// only members of the org can compute, stable across key rotations. It stands in for the
// serial in bill ids and idempotency lookups, so the ledger never holds a serial in clear
// and no outsider can test a guessed one.
func (k *OrgKey) SerialTag(serial string) [32]byte {
	m := hmac.New(sha256.New, k.serial[:])
	m.Write([]byte(labelSerial))
	m.Write([]byte{0})
	m.Write([]byte(serial))
	var t [32]byte
	m.Sum(t[:0])
	return t
}

// String names the key by its short id, as it appears in envelopes and grants.
func (k OrgKey) String() string { return fmt.Sprintf("org key %x", k.id) }

// GoString hides the seed from %#v. Both have value receivers so that a dereferenced
// OrgKey prints safely too.
func (k OrgKey) GoString() string { return "wallet.OrgKey{" + k.String() + "}" }

// Grant wraps org's seed and serial secret to a member's KEM public key. The grant is safe
// to publish: only the member's identity can [Identity.Unwrap] it.
func Grant(org *OrgKey, memberKEM []byte) ([]byte, error) {
	pk, err := kemSuite.NewPublicKey(memberKEM)
	if err != nil {
		return nil, fmt.Errorf("wallet: grant %v: member key: %w", org, err)
	}
	b := append([]byte(grantMagic), org.id[:]...)
	sealed, err := hpkeSeal(pk, labelGrant, b, append(org.seed[:], org.serial[:]...))
	if err != nil {
		return nil, fmt.Errorf("wallet: grant %v: %w", org, err)
	}
	return append(b, sealed...), nil
}

// Unwrap recovers the org key from a grant made to id. It returns [ErrNotRecipient] if the
// grant is for someone else, and errors wrapping [ErrFormat] or [ErrCorrupt] for bytes that
// are not a grant or were altered. The caller must still check that the key's public half
// is the one the ledger holds for the org and epoch: a grant is written by whoever granted
// it, and a hostile colleague can wrap a key of their own.
func (id *Identity) Unwrap(grant []byte) (*OrgKey, error) {
	if !bytes.HasPrefix(grant, []byte(grantMagic)) {
		return nil, fmt.Errorf("wallet: unwrap grant: %w", ErrFormat)
	}
	if len(grant) != grantSize {
		return nil, fmt.Errorf("wallet: unwrap grant: %d bytes, want %d: %w", len(grant), grantSize, ErrCorrupt)
	}
	secrets, err := hpkeOpen(id.priv, labelGrant, grant[:grantHeader], grant[grantHeader:])
	if err != nil || len(secrets) != 2*SecretSize {
		// HPKE cannot tell a grant for another member from an altered one.
		return nil, fmt.Errorf("wallet: unwrap grant for %s: %w (or the grant was altered)", id.name, ErrNotRecipient)
	}
	k, err := orgKeyFrom(secrets[:SecretSize], secrets[SecretSize:])
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(k.id[:], grant[len(grantMagic):grantHeader]) {
		return nil, fmt.Errorf("wallet: unwrap grant: seed does not match key id %x: %w", grant[len(grantMagic):grantHeader], ErrCorrupt)
	}
	return k, nil
}
