package ledger_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"ebill/app/bill"
	"ebill/app/wire"
)

// TestRefusals sends one bad transaction per case through CheckTx, PrepareProposal,
// ProcessProposal and FinalizeBlock + Commit, and checks the code at each step. Stateless
// faults never reach a block: PrepareProposal drops them and ProcessProposal rejects a
// block that holds one. Refusals that a pending transaction could cure pass CheckTx and are
// decided by FinalizeBlock.
func TestRefusals(t *testing.T) {
	n := newNetwork()
	c := newChain(t, "", n.genesis)
	h1, h2, h3 := n.cashiers[0], n.cashiers[1], n.cashiers[2]
	org1, org3 := n.hospitals[0], n.hospitals[2]

	pending := h1.submission(org1, "pending", 100, 256)
	issued := h1.submission(org1, "issued", 200, 256)
	last3a, last3b := h3.submission(org3, "last-a", 1, 16), h3.submission(org3, "last-b", 1, 16)
	c.ok(h1.tx(t, pending), h1.tx(t, issued), h3.tx(t, last3a), h3.tx(t, last3b),
		n.clerk.tx(t, &wire.AllocateSegment{Org: org3, Code: "32060126", Start: 9001, End: 9001}))
	c.ok(n.clerk.tx(t, n.clerk.approval(issued, 1)), n.clerk.tx(t, n.clerk.approval(last3a, 1)), n.clerk.tx(t, n.clerk.approval(last3b, 1)))
	issueTx := h1.tx(t, &wire.Issue{ID: bill.ID(org1, "issued")})
	c.ok(issueTx, h3.tx(t, &wire.Issue{ID: bill.ID(org3, "last-a")}),
		n.admin.tx(t, &wire.RegisterOrg{ID: "B2", Name: "另一财政局", Kind: wire.OrgBureau, EncKey: []byte("k")}))
	c.ok(n.admin.tx(t, &wire.RegisterOrg{ID: "H-B2", Name: "另一医院", Kind: wire.OrgHospital, Bureau: "B2", EncKey: []byte("k")}))
	pendingID, issuedID := bill.ID(org1, "pending"), bill.ID(org1, "issued")
	stranger := newActor("stranger")

	var spent []byte // a refused tx, to be replayed
	cases := []struct {
		name       string
		tx         func() []byte
		check      wire.Code // CheckTx
		final      wire.Code // FinalizeBlock
		stateless  bool      // dropped by PrepareProposal, rejected by ProcessProposal
		logContain string
	}{
		{"bad signature", func() []byte {
			tx := h1.tx(t, h1.submission(org1, "s1", 1, 16))
			tx[len(tx)-1] ^= 1
			return tx
		}, wire.CodeBadSignature, wire.CodeBadSignature, true, "does not verify"},
		{"bad bill signature", func() []byte {
			m := h1.submission(org1, "s2", 1, 16)
			m.Signature = h2.Sign([]byte("something else"))
			return h1.tx(t, m)
		}, wire.CodeBadSignature, wire.CodeBadSignature, true, "does not verify"},
		{"bad countersignature", func() []byte {
			m := n.clerk.approval(pending, 1)
			m.Countersig = n.clerk2.Sign(m.Digest[:])
			return n.clerk.tx(t, m)
		}, wire.CodeBadSignature, wire.CodeBadSignature, true, "does not verify"},
		{"unknown signer", func() []byte { return stranger.tx(t, stranger.submission(org1, "s3", 1, 16)) },
			wire.CodeUnknownSigner, wire.CodeUnknownSigner, false, "no account"},
		{"wrong role: auditor submits", func() []byte { return n.auditor.tx(t, n.auditor.submission(bureau, "s4", 1, 16)) },
			wire.CodeWrongRole, wire.CodeWrongRole, false, "needs [cashier]"},
		{"wrong role: clerk issues", func() []byte { return n.clerk.tx(t, &wire.Issue{ID: pendingID}) },
			wire.CodeWrongRole, wire.CodeWrongRole, false, "is finance"},
		{"wrong role: cashier registers an org", func() []byte {
			return h1.tx(t, &wire.RegisterOrg{ID: "H1", Name: "x", Kind: wire.OrgBureau, EncKey: []byte("k")})
		}, wire.CodeWrongRole, wire.CodeWrongRole, false, "needs [admin]"},
		{"other org's bill", func() []byte { return h2.tx(t, &wire.Issue{ID: issuedID}) },
			wire.CodeWrongOrg, wire.CodeWrongOrg, false, `not "H32010001"`},
		{"submit for another org", func() []byte { return h2.tx(t, h2.submission(org1, "s5", 1, 16)) },
			wire.CodeWrongOrg, wire.CodeWrongOrg, false, "belongs to"},
		{"wrong chain id", func() []byte {
			h1.seq++
			tx, err := wire.NewTx("other-chain", h1, h1.seq, &wire.Issue{ID: issuedID})
			if err != nil {
				t.Fatal(err)
			}
			return tx
		}, wire.CodeWrongChain, wire.CodeWrongChain, false, "other-chain"},
		{"oversize", func() []byte { return bytes.Repeat([]byte{1}, wire.MaxTxSize+1) },
			wire.CodeOversize, wire.CodeOversize, true, "exceeds"},
		{"malformed bytes", func() []byte { return []byte("not a transaction at all, but long enough to hold a signature......") },
			wire.CodeMalformed, wire.CodeMalformed, true, "malformed"},
		{"trailing byte", func() []byte { return append(h1.tx(t, &wire.Issue{ID: pendingID}), 0) },
			wire.CodeMalformed, wire.CodeMalformed, true, "trailing"},
		{"issue before approval", func() []byte { spent = h1.tx(t, &wire.Issue{ID: pendingID}); return spent },
			wire.CodeOK, wire.CodeBadState, false, "only an approved bill"},
		{"replayed refused tx", func() []byte { return spent }, wire.CodeReplay, wire.CodeReplay, false, "used or too old"},
		{"replayed committed tx", func() []byte { return issueTx }, wire.CodeReplay, wire.CodeReplay, false, "used or too old"},
		{"double issue", func() []byte { return h1.tx(t, &wire.Issue{ID: issuedID}) },
			wire.CodeOK, wire.CodeBadState, false, "issued as 32060126/0000000001"},
		{"reverse of unissued", func() []byte {
			red := h1.submission(org1, "red-of-pending", -100, 16)
			return h1.tx(t, &wire.Reverse{ID: pendingID, Reason: sealed("退费"), Red: *red})
		}, wire.CodeOK, wire.CodeBadState, false, "only an issued bill"},
		{"red bill with the wrong total", func() []byte {
			red := h1.submission(org1, "red-wrong", -1, 16)
			return h1.tx(t, &wire.Reverse{ID: issuedID, Reason: sealed("退费"), Red: *red})
		}, wire.CodeInvalid, wire.CodeInvalid, false, "total -200 fen"},
		{"segment exhausted", func() []byte { return h3.tx(t, &wire.Issue{ID: bill.ID(org3, "last-b")}) },
			wire.CodeOK, wire.CodeSegmentExhausted, false, "used up"},
		{"stale revision", func() []byte { return n.clerk.tx(t, n.clerk.approval(pending, 2)) },
			wire.CodeOK, wire.CodeStaleRevision, false, "revision 1"},
		{"approve an issued bill", func() []byte { return n.clerk.tx(t, n.clerk.approval(issued, 1)) },
			wire.CodeOK, wire.CodeBadState, false, "only a submitted bill"},
		{"countersigned wrong digest", func() []byte {
			m := n.clerk.approval(pending, 1)
			m.Digest[0] ^= 1
			c := bill.CountersignDigest(m.Digest)
			m.Countersig = n.clerk.Sign(c[:])
			return n.clerk.tx(t, m)
		}, wire.CodeOK, wire.CodeDigestMismatch, false, "identity digest"},
		{"cashier's signature passed off as a countersignature", func() []byte {
			m := n.clerk.approval(pending, 1)
			m.Countersig = n.clerk.Sign(m.Digest[:])
			return n.clerk.tx(t, m)
		}, wire.CodeBadSignature, wire.CodeBadSignature, true, "does not verify"},
		{"submission signed for another chain", func() []byte {
			m := *h1.submission(org1, "other-chain", 100, 64)
			d := m.Digest("ebill-elsewhere")
			m.Signature = h1.Sign(d[:])
			return h1.tx(t, &m)
		}, wire.CodeBadSignature, wire.CodeBadSignature, true, "does not verify"},
		{"not found", func() []byte { return h1.tx(t, &wire.Issue{ID: bill.ID(org1, "nothing")}) },
			wire.CodeOK, wire.CodeNotFound, false, "does not exist"},
		{"org exists", func() []byte {
			return n.admin.tx(t, &wire.RegisterOrg{ID: org1, Name: "x", Kind: wire.OrgBureau, EncKey: []byte("k")})
		}, wire.CodeExists, wire.CodeExists, false, "already registered"},
		{"segment overlap", func() []byte {
			return n.clerk.tx(t, &wire.AllocateSegment{Org: org1, Code: "32060126", Start: 500, End: 600})
		}, wire.CodeOK, wire.CodeSegmentOverlap, false, "up to 9001"},
		{"clerk of another bureau", func() []byte {
			return n.clerk.tx(t, &wire.AllocateSegment{Org: "H-B2", Code: "32060126", Start: 20000, End: 20001})
		}, wire.CodeWrongOrg, wire.CodeWrongOrg, false, `not "B2"`},
		{"grant without holding the key", func() []byte {
			return n.clerk2.tx(t, &wire.GrantOrgKey{Org: bureau, Member: n.auditor.PublicKey(), Epoch: 1, Wrapped: []byte("w")})
		}, wire.CodeOK, wire.CodeNoGrant, false, "no grant"},
		{"rotation to a skipped epoch", func() []byte {
			return n.clerk.tx(t, &wire.RotateOrgKey{Org: bureau, Epoch: 3, EncKey: []byte("k9"),
				Grants: []wire.MemberGrant{{Member: n.auditor.PublicKey(), Wrapped: []byte("w")}}})
		}, wire.CodeOK, wire.CodeBadEpoch, false, "names the next epoch"},
		{"auditor sends a message", func() []byte { return n.auditor.tx(t, &wire.Issue{ID: pendingID}) },
			wire.CodeWrongRole, wire.CodeWrongRole, false, "needs [cashier]"},
		{"segment of an unbound code", func() []byte {
			return n.clerk.tx(t, &wire.AllocateSegment{Org: org1, Code: "32060127", Start: 1, End: 2})
		}, wire.CodeOK, wire.CodeNotFound, false, "bill code"},
		{"withdraw an issued bill", func() []byte { return h1.tx(t, &wire.Withdraw{ID: issuedID}) },
			wire.CodeOK, wire.CodeBadState, false, "not yet issued"},
		{"created years after the block", func() []byte {
			m := h1.submission(org1, "future", 100, 16)
			m.Created = m.Created.AddDate(3, 0, 0)
			return h1.tx(t, h1.signed(m))
		}, wire.CodeInvalid, wire.CodeInvalid, false, "after the block time"},
		{"negative total", func() []byte { return h1.tx(t, h1.submission(org1, "neg", -5, 16)) },
			wire.CodeInvalid, wire.CodeInvalid, false, "only red bills"},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx := tc.tx()
			if res := c.checkTx(tx); wire.Code(res.Code) != tc.check {
				t.Errorf("CheckTx: code %d (%s) %q, want %s", res.Code, wire.Code(res.Code), res.Log, tc.check)
			}
			prep, err := c.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{Txs: [][]byte{tx}, MaxTxBytes: 4 << 20})
			if err != nil || (len(prep.Txs) == 0) != tc.stateless {
				t.Errorf("PrepareProposal kept %d txs (err %v); stateless fault %v", len(prep.GetTxs()), err, tc.stateless)
			}
			proc, err := c.app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Txs: [][]byte{tx}})
			want := abci.PROCESS_PROPOSAL_STATUS_ACCEPT
			if tc.stateless {
				want = abci.PROCESS_PROPOSAL_STATUS_REJECT
			}
			if err != nil || proc.Status != want {
				t.Errorf("ProcessProposal = %v (err %v), want %v", proc.GetStatus(), err, want)
			}
			before := c.hashes[c.height]
			res := c.finalize(tx)[0]
			if wire.Code(res.Code) != tc.final || !strings.Contains(res.Log, tc.logContain) {
				t.Errorf("FinalizeBlock: code %d (%s) %q, want %s containing %q", res.Code, wire.Code(res.Code), res.Log, tc.final, tc.logContain)
			}
			if tc.stateless && !bytes.Equal(before, c.hashes[c.height]) {
				t.Errorf("a transaction refused before authentication changed the app hash")
			}
		})
	}
	// Nothing refused touched the bills.
	if b := c.bill(pendingID); b.Status != wire.StatusSubmitted || len(b.Events) != 1 {
		t.Errorf("pending bill after refusals: %s with %d events", b.Status, len(b.Events))
	}
	if b := c.bill(issuedID); b.Status != wire.StatusIssued || b.Number != "0000000001" {
		t.Errorf("issued bill after refusals: %s %q", b.Status, b.Number)
	}
}

func TestCodesAreDistinctAndNamed(t *testing.T) {
	seen := map[string]wire.Code{}
	for c := wire.CodeOK; c <= wire.CodeBadEpoch; c++ {
		name := c.String()
		if prev, dup := seen[name]; dup || strings.HasPrefix(name, "code_") || c.Why() == "unknown result code" {
			t.Errorf("code %d: name %q (also %d), why %q", c, name, prev, c.Why())
		}
		seen[name] = c
	}
}

// TestRecheck checks that the recheck after a block evicts a transaction whose sequence
// the block spent and keeps one still pending.
func TestRecheck(t *testing.T) {
	n := newNetwork()
	c := newChain(t, "", n.genesis)
	h, org := n.cashiers[0], n.hospitals[0]
	committed, pending := h.tx(t, h.submission(org, "a", 1, 16)), h.tx(t, h.submission(org, "b", 1, 16))
	c.ok(committed)
	for _, tc := range []struct {
		tx   []byte
		want wire.Code
	}{{committed, wire.CodeReplay}, {pending, wire.CodeOK}} {
		res, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tc.tx, Type: abci.CHECK_TX_TYPE_RECHECK})
		if err != nil || wire.Code(res.Code) != tc.want {
			t.Errorf("recheck: code %d %q (%v), want %s", res.GetCode(), res.GetLog(), err, tc.want)
		}
	}
}
