package bill

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Every digest starts with its own domain tag and length-prefixes each field, so no two
// different inputs (and no input of another digest) can encode to the same bytes.
const (
	tagID       = "ebill/id/v1"
	tagIdentity = "ebill/identity/v1"
	tagCheck    = "ebill/check/v1"
)

// ID is the ledger id of the bill with this business serial in this org: 32 lowercase hex
// digits. The desk knows it before upload, so the envelope can bind it as AAD.
func ID(org, serial string) string {
	sum := digest(tagID, []byte(org), []byte(serial))
	return hex.EncodeToString(sum[:16])
}

// Commitment is SHA-256(salt ‖ plaintext): the public hash of a payload that reveals nothing
// about it while the random salt stays inside the ciphertext.
func Commitment(salt, plaintext []byte) [32]byte {
	h := sha256.New()
	h.Write(salt)
	h.Write(plaintext)
	var c [32]byte
	h.Sum(c[:0])
	return c
}

// IdentityDigest is what the cashier signs: the bill's kind, org, business serial, creation
// time (nanoseconds, UTC) and payload commitment.
func IdentityDigest(kind Kind, org, serial string, created time.Time, commitment [32]byte) [32]byte {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(created.UnixNano()))
	return digest(tagIdentity, []byte(kind), []byte(org), []byte(serial), ts[:], commitment[:])
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
