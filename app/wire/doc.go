// Package wire is the vocabulary the ebill ledger and its clients share: the messages and
// the signed transaction that carries one, the records the ledger stores and their store
// keys, the result codes, and the list queries. It holds no state and links no storage,
// so a desk, the light node and the ABCI app (app/ledger) agree on bytes by sharing it.
//
// # Sending a transaction
//
// NewTx signs one message (RegisterOrg, RegisterAccount, GrantOrgKey, RotateOrgKey,
// AllocateSegment, SubmitBill, Withdraw, Approve, Reject, Issue, Reverse) for a chain with
// the signer's next sequence number. Sequences need not arrive in order: any unused number
// above the highest seen, or up to 127 below it, is accepted once. DecodeTx parses and
// validates a transaction without state; the ledger verifies its SigChecks.
//
// # Reading the answer
//
// A refused transaction carries a Code (CheckTxResponse.Code, ExecTxResult.Code) whose
// String is a stable name and Why a reason; Refusal is the error that pairs a code with a
// log line, and CodeOf recovers it. ExecTxResult.Data of a bill transaction decodes with
// DecodeResult.
//
// # Reading state
//
// Query path QueryKey with a store key (BillKey, HistoryKey, NumberKey, AccountKey,
// OrgKey, GrantKey, SegmentKey), an explicit height H and Prove returns the value, the key
// and H echoed, and one ProofOpType proof op. Decode the value with DecodeBillRecord,
// DecodeHistory, DecodeAccount, DecodeOrg, DecodeGrant or DecodeSegment; a NumberKey's
// value is the bill id. A record's Payload is the SHA-256 of its sealed envelope, which
// QueryPayload returns. QueryQueue and
// QueryBills take an encoded ListRequest and answer a ListPage of bill ids (unproven
// hints: fetch each bill with a proof).
//
// # Bounds
//
// Every record decodes within fixed bounds whatever its signers sent: a record holds the
// current revision's events only (at most MaxRevisionEvents; earlier revisions' are a
// History each, at most MaxRevisions), a list page holds ids only (MaxListPageBytes), and
// each field has its own limit. A limit reached is a refusal with its own Code.
//
// Every encoding is canonical (one value, one byte string), so signatures, tx hashes and
// the app hash cannot disagree across nodes. `go doc -short` runs past one screen: the
// package is a protocol vocabulary, and each message, record, key and code is one line.
package wire
