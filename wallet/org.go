package wallet

import (
	"bytes"
	"crypto/rand"
	"fmt"
)

// Grant format, version 1:
//
//	"EBG" 0x01   magic and version
//	key id (8)   of the org key granted
//	HPKE enc (1120) ‖ sealed seed (48), with the 12 bytes above as HPKE aad
const (
	grantMagic  = "EBG\x01"
	grantHeader = len(grantMagic) + keyIDSize
	grantSize   = grantHeader + kemEncSize + SecretSize + 16
	labelGrant  = "ebill/v1/org-grant"
)

// OrgKey is an organisation's decryption key: an HPKE key pair derived from a 32-byte
// seed exactly as an identity's is. Publish [OrgKey.KEMPublic]; give the private half to
// members only through [Grant].
type OrgKey struct {
	seed [SecretSize]byte
	kemKey
}

// NewOrgKey makes an org key from a fresh random seed. Rotating an org key means making
// a new one and granting it to the remaining members.
func NewOrgKey() (*OrgKey, error) {
	var seed [SecretSize]byte
	rand.Read(seed[:])
	return orgKeyFromSeed(seed[:])
}

func orgKeyFromSeed(seed []byte) (*OrgKey, error) {
	k := &OrgKey{}
	copy(k.seed[:], seed)
	var err error
	k.kemKey, err = deriveKEM(k.seed[:])
	return k, err
}

// String names the key by its short id, as it appears in envelopes and grants.
func (k OrgKey) String() string { return fmt.Sprintf("org key %x", k.id) }

// GoString hides the seed from %#v. Both have value receivers so that a dereferenced
// OrgKey prints safely too.
func (k OrgKey) GoString() string { return "wallet.OrgKey{" + k.String() + "}" }

// Grant wraps org's seed to a member's KEM public key. The grant is safe to publish: only
// the member's identity can [Identity.Unwrap] it.
func Grant(org *OrgKey, memberKEM []byte) ([]byte, error) {
	pk, err := kemSuite.NewPublicKey(memberKEM)
	if err != nil {
		return nil, fmt.Errorf("wallet: grant %v: member key: %w", org, err)
	}
	b := append([]byte(grantMagic), org.id[:]...)
	sealed, err := hpkeSeal(pk, labelGrant, b, org.seed[:])
	if err != nil {
		return nil, fmt.Errorf("wallet: grant %v: %w", org, err)
	}
	return append(b, sealed...), nil
}

// Unwrap recovers the org key from a grant made to id. It returns [ErrNotRecipient] if the
// grant is for someone else, and errors wrapping [ErrFormat] or [ErrCorrupt] for bytes that
// are not a grant or were altered.
func (id *Identity) Unwrap(grant []byte) (*OrgKey, error) {
	if !bytes.HasPrefix(grant, []byte(grantMagic)) {
		return nil, fmt.Errorf("wallet: unwrap grant: %w", ErrFormat)
	}
	if len(grant) != grantSize {
		return nil, fmt.Errorf("wallet: unwrap grant: %d bytes, want %d: %w", len(grant), grantSize, ErrCorrupt)
	}
	seed, err := hpkeOpen(id.priv, labelGrant, grant[:grantHeader], grant[grantHeader:])
	if err != nil {
		// HPKE cannot tell a grant for another member from an altered one.
		return nil, fmt.Errorf("wallet: unwrap grant for %s: %w (or the grant was altered)", id.name, ErrNotRecipient)
	}
	k, err := orgKeyFromSeed(seed)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(k.id[:], grant[len(grantMagic):grantHeader]) {
		return nil, fmt.Errorf("wallet: unwrap grant: seed does not match key id %x: %w", grant[len(grantMagic):grantHeader], ErrCorrupt)
	}
	return k, nil
}
