// Package bill is the medical e-bill (医疗收费电子票据) itself: its fields, its money, its
// rules and the digests the ledger keeps of it. It uses only the standard library, so the
// desktop, the command line, the ledger and the tests all share it.
//
// A bill comes from the hospital information system (HIS) as JSON (docs/bill-json.md):
//
//	b, err := bill.Decode(r)            // *SyntaxError with line and column: not a bill
//	if err := b.Validate(); err != nil { // Problems: every broken rule, in zh and en
//		for _, p := range err.(bill.Problems) { fmt.Println(p.Path, p.ZH) }
//	}
//	data, _ := b.Marshal()              // canonical bytes: these are sealed
//	c := b.Commit(seed)                 // the commitment the ledger records and the cashier signs
//
// The ledger hands back an Issued bill: the input with the number, check code and issue
// time it assigned. A HIS file that carries any of them is refused.
//
// Amounts are Money, an int64 count of fen that never passes through a float:
// ParseMoney("1409.50").Capitals() is 壹仟肆佰零玖元伍角. Quantities are thousandths of a
// unit and Quantity.Times rounds to the fen as a cashier does. Dates are calendar days.
//
// For printing, SortedItems orders the items by the standard categories and MaskID hides
// the middle of an ID number. ID, IdentityDigest, CountersignDigest and CheckCode are the
// fixed encodings the desks sign and the ledger derives (protocol v2). The commitment is
// over salted per-field leaves, so Disclose can prove the printed fields (Printed) of a
// bill and nothing else, as a PDF's attachment does; Disclosure.Verify checks them. Sample
// makes valid bills of any size for demos and benchmarks; Reversal makes the red bill that
// cancels one, under RedSerial.
package bill
