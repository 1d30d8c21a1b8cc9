package wire

import (
	"crypto/ed25519"
	"encoding/binary"
)

// The store is one IAVL tree; a key's first bytes name the record kind. Org ids and bill
// codes never contain '/', so each prefix below selects exactly its own records and a
// prefix scan walks one org's keys in order.
const (
	prefixAccount = "a/"
	prefixOrg     = "o/"
	prefixGrant   = "g/"
	prefixSegment = "s/"
	prefixCode    = "c/" // bill code → CodeBinding: its bureau and highest number allocated
	prefixEpoch   = "k/" // org, epoch → OrgEpoch
	prefixBill    = "b/"
	prefixHistory = "h/" // bill id, revision → History: the timeline of an earlier revision
	prefixNumber  = "n/"
	prefixOrgBill = "l/" // org, ordinal → bill id: an org's bills, oldest first
	prefixQueue   = "q/" // bureau, ordinal → bill id: bills awaiting review
)

// ChainKey is the key InitChain seeds with the chain id: it makes the genesis tree
// non-empty (an empty IAVL tree proves nothing) and lets a restarted node check txs
// before the first block.
var ChainKey = []byte("chain")

// AccountKey is the key of the Account of the holder of pub.
func AccountKey(pub ed25519.PublicKey) []byte { return cat(prefixAccount, pub) }

// OrgKey is the key of the Org with this id.
func OrgKey(id string) []byte { return cat(prefixOrg, []byte(id)) }

// GrantKey is the key of the Grant of epoch epoch of org's key to member.
func GrantKey(org string, member ed25519.PublicKey, epoch uint32) []byte {
	return cat(prefixGrant, []byte(org), []byte("/"), member, be32(epoch))
}

// SegmentKey is the key of org's Segment for bill code code.
func SegmentKey(org, code string) []byte {
	return cat(prefixSegment, []byte(org), []byte("/"), []byte(code))
}

// BillKey is the key of the BillRecord with this id (bill.ID(org, serial)).
func BillKey(id string) []byte { return cat(prefixBill, []byte(id)) }

// HistoryKey is the key of the History of revision rev of a bill, written when revision
// rev+1 was submitted.
func HistoryKey(id string, rev uint32) []byte {
	return cat(prefixHistory, []byte(id), []byte("/"), be32(rev))
}

// NumberKey is the key of the index entry of an issued bill by (bill code, number); its
// value is the bill id.
func NumberKey(code, number string) []byte {
	return cat(prefixNumber, []byte(code), []byte("/"), []byte(number))
}

// CodeKey is the key of the CodeBinding of a bill code.
func CodeKey(code string) []byte { return cat(prefixCode, []byte(code)) }

// EpochKey is the key of the OrgEpoch of org's key of epoch: the public key a desk checks
// each unwrapped grant against.
func EpochKey(org string, epoch uint32) []byte {
	return cat(prefixEpoch, []byte(org), []byte("/"), be32(epoch))
}

func OrgBillKey(org string, n uint64) []byte {
	return cat(prefixOrgBill, []byte(org), []byte("/"), be64(n))
}

func QueueKey(bureau string, n uint64) []byte {
	return cat(prefixQueue, []byte(bureau), []byte("/"), be64(n))
}

func cat(prefix string, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
