package wire

import (
	"errors"
	"fmt"
)

// Code is the result code of a transaction (CheckTxResponse.Code, ExecTxResult.Code). Zero
// is success; every other value names one reason for refusal. The values are part of the
// protocol: never renumber, only append.
type Code uint32

const (
	CodeOK               Code = 0
	CodeMalformed        Code = 1  // bytes are not a canonical transaction
	CodeOversize         Code = 2  // transaction longer than MaxTxSize
	CodeWrongChain       Code = 3  // signed for another chain
	CodeBadSignature     Code = 4  // a signature does not verify
	CodeUnknownSigner    Code = 5  // signer has no account
	CodeWrongRole        Code = 6  // signer's role may not send this message
	CodeWrongOrg         Code = 7  // signer acts on another org's business
	CodeReplay           Code = 8  // sequence already used or below the window
	CodeDuplicate        Code = 9  // bill with this org and serial exists; Data holds its id
	CodeNotFound         Code = 10 // the bill, org, account or segment does not exist
	CodeBadState         Code = 11 // the bill's status does not allow this transition
	CodeSegmentExhausted Code = 12 // no number left in the org's segment for this code
	CodeInvalid          Code = 13 // a field fails validation
	CodeExists           Code = 14 // org already registered
	CodeStaleRevision    Code = 15 // review names a revision that is no longer current
	CodeDigestMismatch   Code = 16 // countersigned digest is not the bill's identity digest
	CodeNoSegment        Code = 17 // the org has no segment for this bill code
	CodeSegmentOverlap   Code = 18 // a new segment must lie above every earlier one of its code
	CodeNoGrant          Code = 19 // signer holds no grant of the org key it hands on
	CodeMempoolQuota     Code = 20 // the signer has too many transactions pending in this node's mempool
	CodeBadEpoch         Code = 21 // a grant or rotation names the wrong org key epoch
	CodeTooManyRevisions Code = 22 // a bill has been resubmitted MaxRevisions-1 times already
	CodeTimelineFull     Code = 23 // a revision's timeline holds MaxRevisionEvents events already
	CodeUndecodable      Code = 24 // a stored record the transaction needs does not decode
)

// codeInfo is the table of every code: a stable name for logs and clients, and the reason in
// words. transient marks refusals that later transactions (still in the mempool) may cure;
// CheckTx lets those through so a desk can pipeline submit → approve → issue.
var codeInfo = [...]struct {
	name      string
	why       string
	transient bool
}{
	CodeOK:               {"ok", "accepted", false},
	CodeMalformed:        {"malformed", "the bytes are not a canonical ebill transaction", false},
	CodeOversize:         {"oversize", "the transaction exceeds the maximum size", false},
	CodeWrongChain:       {"wrong_chain", "the transaction was signed for another chain", false},
	CodeBadSignature:     {"bad_signature", "a signature does not verify", false},
	CodeUnknownSigner:    {"unknown_signer", "the signer has no account on the ledger", false},
	CodeWrongRole:        {"wrong_role", "the signer's role may not send this message", false},
	CodeWrongOrg:         {"wrong_org", "the signer may not act for this org", false},
	CodeReplay:           {"replay", "the sequence number was already used or is too old", false},
	CodeDuplicate:        {"duplicate", "a bill with this org and business serial exists", false},
	CodeNotFound:         {"not_found", "the referenced record does not exist", true},
	CodeBadState:         {"bad_state", "the bill's status does not allow this transition", true},
	CodeSegmentExhausted: {"segment_exhausted", "the number segment is used up", true},
	CodeInvalid:          {"invalid", "a field fails validation", false},
	CodeExists:           {"exists", "the record already exists", false},
	CodeStaleRevision:    {"stale_revision", "the bill has a newer revision than the one reviewed", true},
	CodeDigestMismatch:   {"digest_mismatch", "the countersigned digest is not the bill's identity digest", true},
	CodeNoSegment:        {"no_segment", "the org has no number segment for this bill code", true},
	CodeSegmentOverlap:   {"segment_overlap", "the segment overlaps numbers already allocated for the code", true},
	CodeNoGrant:          {"no_grant", "the signer holds no grant of this org key", true},
	CodeMempoolQuota:     {"mempool_quota", "the signer has too many transactions waiting in this node's mempool", false},
	CodeBadEpoch:         {"bad_epoch", "the org key epoch is not the one this grant or rotation may name", true},
	CodeTooManyRevisions: {"too_many_revisions", "the bill has had as many revisions as one bill may; submit it under a new serial", false},
	CodeTimelineFull:     {"timeline_full", "the bill's timeline holds as many events as one revision may", false},
	CodeUndecodable:      {"undecodable", "a stored record the transaction needs does not decode", false},
}

// String returns the stable name of the code, e.g. "bad_signature".
func (c Code) String() string {
	if int(c) < len(codeInfo) {
		return codeInfo[c].name
	}
	return fmt.Sprintf("code_%d", uint32(c))
}

// Why says in words what the code means.
func (c Code) Why() string {
	if int(c) < len(codeInfo) {
		return codeInfo[c].why
	}
	return "unknown result code"
}

func (c Code) Transient() bool { return int(c) < len(codeInfo) && codeInfo[c].transient }

// Refusal is the error a transaction is refused with: the code and a log line saying why,
// naming the bad input.
type Refusal struct {
	Code Code
	Log  string
}

func (r *Refusal) Error() string { return r.Code.String() + ": " + r.Log }

func Refuse(c Code, format string, args ...any) error {
	return &Refusal{Code: c, Log: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of a refusal, CodeOK for nil; anything else is not a refusal and
// reports false.
func CodeOf(err error) (Code, bool) {
	if err == nil {
		return CodeOK, true
	}
	var r *Refusal
	if errors.As(err, &r) {
		return r.Code, true
	}
	return 0, false
}
