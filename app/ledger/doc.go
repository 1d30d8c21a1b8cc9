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
// # Transactions and state
//
// The messages, transactions, records, store keys and result codes are package
// app/wire, which clients import instead of this package.
//
// A bill goes submitted → approved → issued → reversed, with rejected and withdrawn as
// side exits from which the cashier may resubmit the same serial as a new revision. Its id
// is bill.ID(org, serial). The ledger never opens the encrypted payload; it checks the
// cashier's signature over bill.IdentityDigest and the bureau clerk's countersignature,
// and at issue assigns the next number of the org's segment and the check code
// bill.CheckCode(chain id, code, number, commitment). Every transition appends a
// wire.Event (height, tx hash, block time, actor) to the bill; nothing is ever deleted.
//
// Every refusal has its own wire.Code with a log line saying why; ExecTxResult.Data of a
// bill transaction (and of a duplicate submission) decodes with wire.DecodeResult, and an
// "ebill" event carries the bill id for clients waiting on their transaction. Query
// answers wire.QueryKey with proofs and the wire.QueryQueue and wire.QueryBills lists.
package ledger
