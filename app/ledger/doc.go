// Package ledger is the ebill state machine: a CometBFT ABCI 2.0 application that keeps
// orgs, accounts, org key grants, number segments and the life of every medical e-bill in
// one IAVL tree, whose root is the app hash.
//
// # Running it
//
// New opens the state in a directory (pebble, pure Go) or in memory, and the returned *App
// is handed to CometBFT (proxy.NewLocalClientCreator). The genesis app_state is the JSON
// of Genesis: the admin key, the bureaus and hospitals, their accounts, grants and
// segments. The state is saved only in Commit, one atomic batch per block, and every
// version is kept, so a killed node replays from Info's height and proofs can be had at
// any height.
//
// # Sending transactions
//
// NewTx signs one message (RegisterOrg, RegisterAccount, GrantOrgKey, RotateOrgKey,
// AllocateSegment, SubmitBill, Withdraw, Approve, Reject, Issue, Reverse) for a chain with
// the signer's next sequence number. Sequences need not arrive in order: any unused number
// above the highest seen, or up to 127 below it, is accepted once, so several desks of one
// cashier can submit at the same time.
//
// A bill goes submitted → approved → issued → reversed, with rejected and withdrawn as
// side exits from which the cashier may resubmit the same serial as a new revision. Its id
// is bill.ID(org, serial). The ledger never opens the encrypted payload; it checks the
// cashier's signature over bill.IdentityDigest and the bureau clerk's countersignature,
// and at issue assigns the next number of the org's segment and the check code
// bill.CheckCode(chain id, code, number, commitment). Every transition appends an Event
// (height, tx hash, block time, actor) to the bill; nothing is ever deleted.
//
// Every refusal has its own Code with a log line saying why; ExecTxResult.Data of a bill
// transaction (and of a duplicate submission) decodes with DecodeResult, and an "ebill"
// event carries the bill id for clients waiting on their transaction.
//
// # Reading state
//
// Query path QueryKey with a store key (BillKey, NumberKey, PayloadKey, AccountKey, OrgKey,
// GrantKey, SegmentKey), an explicit height H and Prove returns the value (or none), the
// key and H echoed, and one ics23 proof op against the app hash in header H+1. Decode the
// value with DecodeBill, DecodeAccount, DecodeOrg, DecodeGrant or DecodeSegment; a
// NumberKey's value is the bill id, a PayloadKey's the sealed envelope. QueryQueue and
// QueryBills page through a bureau's review queue and an org's bills without proofs.
package ledger
