// Package service is what a desk does with the ledger: the use cases that the desktop and
// ebillctl share, from a cashier's first bill to the PDF in the patient's hands.
//
// Connect to a network once, then act as any identity the wallet holds:
//
//	net, err := service.Connect(ctx, service.Options{Network: nf, Dir: lightDir})
//	// or, with no network of its own, the embedded demo node:
//	net, err := service.StartEmbedded(ctx, dir, store)
//	defer net.Close()
//	cashier, err := net.As(ctx, id) // learns role and org by a verified read
//
// A cashier submits, issues, reverses and withdraws; a finance clerk lists the review queue,
// reviews (decrypt, verify the commitment, check the rules), approves or rejects, or lets
// AutoReview approve everything that passes; anyone fetches what they may read, and Render
// writes the PDF with a proof bundle that VerifyBundle checks offline:
//
//	v, err := cashier.Submit(ctx, b, progress)        // sealed, signed, committed, read back
//	report, err := clerk.AutoReview(ctx, progress)
//	v, err = cashier.Issue(ctx, v.ID, progress)        // v.Bill has its number and check code
//	v, err = cashier.Render(ctx, pdf, v.ID)
//
// A HIS file is read with ReadBill, which takes UTF-8 (with or without a byte order mark)
// and GBK, and says which it was.
//
// Every value shown comes from the light node, proven against a verified header; View says
// where (height, share of voting power). Lists of bills are hints: each record in a Page
// has been fetched again with a proof.
//
// Switching identity is cheap: every Desk of a Network shares its light node and RPC
// clients. Work reports its stages through Progress and never prints. Every network step
// has a timeout and is retried where that is safe: submission is idempotent on org and
// business serial, and the other transitions are checked against the verified record
// before they are sent again.
//
// Errors the front ends map to messages are the ErrXxx variables: ErrWrongRole,
// ErrNotReader, ErrNotFound, ErrVerification, ErrTrustExpired (re-import the network file),
// ErrAttack, ErrNetworkDown, ErrTimeout, ErrSegmentExhausted, ErrEncoding, ErrConflict,
// ErrInvalid, ErrBadState, ErrRefused, ErrKeyMismatch. Each error wraps at most one of them, so their order in a
// front end's table does not matter.
package service
