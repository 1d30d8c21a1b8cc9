package bill

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Every digest starts with its own domain tag and length-prefixes each field, so no two
// different inputs (and no input of another digest) can encode to the same bytes. The tags
// of protocol v2 are those whose encoding changed in it.
const (
	tagID          = "ebill/id/v1"
	tagIdentity    = "ebill/identity/v2"
	tagCountersign = "ebill/countersign/v2"
	tagCheck       = "ebill/check/v1"
	tagSalt        = "ebill/salt/v2"
	tagLeaf        = "ebill/leaf/v2"
	tagCommit      = "ebill/commit/v2"

	// The signer's role is part of what it signs, so that a signature made in one role
	// never counts as another's.
	roleCashier = "cashier"
	roleFinance = "finance"
)

// ID is the ledger id of the bill with this business serial in this org: 32 lowercase hex
// digits. The desk knows it before upload, so the envelope can bind it as AAD.
func ID(org, serial string) string {
	sum := digest(tagID, []byte(org), []byte(serial))
	return hex.EncodeToString(sum[:16])
}

// Identity is what the signatures over one revision of a bill cover: the chain it is
// submitted to, its kind, org, business serial, creation time (nanoseconds, UTC; the
// ledger keeps it to the minute), the revision the submission makes (1, then one more for
// each resubmission) and the payload commitment (Bill.Commit).
type Identity struct {
	ChainID    string
	Kind       Kind
	Org        string
	Serial     string
	Created    time.Time
	Revision   uint32
	Commitment [32]byte
}

// IdentityDigest is what the cashier signs when submitting: the identity and the role
// "cashier", so the signature cannot be replayed on another chain, into another revision,
// or as another role's signature.
func IdentityDigest(id Identity) [32]byte {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(id.Created.UnixNano()))
	var rev [4]byte
	binary.BigEndian.PutUint32(rev[:], id.Revision)
	return digest(tagIdentity, []byte(roleCashier), []byte(id.ChainID), []byte(id.Kind), []byte(id.Org),
		[]byte(id.Serial), ts[:], rev[:], id.Commitment[:])
}

// CountersignDigest is what the bureau's finance clerk signs to approve (监制签名): the
// cashier's IdentityDigest, which binds chain, revision and content, under its own tag and
// the role "finance", so a countersignature is never a cashier's signature or the reverse.
func CountersignDigest(identity [32]byte) [32]byte {
	return digest(tagCountersign, []byte(roleFinance), identity[:])
}

// CheckCode is the 校验码 the ledger derives when it issues a bill: six lowercase hex digits
// binding the chain, the bill code and number, and the payload commitment.
func CheckCode(chainID, code, number string, commitment [32]byte) string {
	sum := digest(tagCheck, []byte(chainID), []byte(code), []byte(number), commitment[:])
	return hex.EncodeToString(sum[:3])
}

func digest(tag string, fields ...[]byte) [32]byte {
	h := sha256.New()
	var n [4]byte
	for _, f := range append([][]byte{[]byte(tag)}, fields...) {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}
