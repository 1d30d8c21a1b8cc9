package ledger_test

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"ebill/app/bill"
	"ebill/app/ledger"
	"ebill/app/wire"
)

// TestLifecycle drives every transaction type through the ABCI calls in consensus order,
// on memory and on disk, and reads every outcome back with a verified proof.
func TestLifecycle(t *testing.T) {
	for _, storage := range []string{"memory", "disk"} {
		t.Run(storage, func(t *testing.T) {
			dir := ""
			if storage == "disk" {
				dir = t.TempDir()
			}
			n := newNetwork()
			c := newChain(t, dir, n.genesis)
			cashier, org := n.cashiers[0], n.hospitals[0]

			// Submit, then a repeat of the same serial: duplicate with the existing id.
			subA := cashier.submission(org, "MZ20260105-0001", 12_345, 2048)
			idA := bill.ID(org, "MZ20260105-0001")
			txA := cashier.tx(t, subA)
			res := c.ok(txA)
			if r := result(t, res[0]); r.BillID != idA || r.Status != wire.StatusSubmitted || r.Revision != 1 {
				t.Fatalf("submit result %+v", r)
			}
			if !hasAttr(res[0], "bill", idA) || !hasAttr(res[0], "action", "submit_bill") {
				t.Errorf("submit events %v lack the bill id and action", res[0].Events)
			}
			dup := cashier.tx(t, subA)
			if r := c.checkTx(dup); wire.Code(r.Code) != wire.CodeDuplicate {
				t.Errorf("CheckTx of a repeat: code %d, want duplicate", r.Code)
			} else if got, _ := wire.DecodeResult(r.Data); got.BillID != idA {
				t.Errorf("CheckTx of a repeat returned bill %q, want %q", got.BillID, idA)
			}
			if r := c.finalize(dup)[0]; wire.Code(r.Code) != wire.CodeDuplicate || result(t, r).BillID != idA {
				t.Errorf("FinalizeBlock of a repeat: code %d data %x", r.Code, r.Data)
			}
			submittedAt := c.height
			if q := c.list(wire.QueryQueue, wire.ListRequest{Org: bureau}); len(q.IDs) != 1 || q.IDs[0] != idA {
				t.Fatalf("review queue = %v, want bill A", q.IDs)
			}

			// Approve with the countersignature, issue, reverse.
			c.ok(n.clerk.tx(t, n.clerk.approval(subA, 1)))
			if q := c.list(wire.QueryQueue, wire.ListRequest{Org: bureau}); len(q.IDs) != 0 {
				t.Fatalf("review queue after approval = %v, want empty", q.IDs)
			}
			res = c.ok(cashier.tx(t, &wire.Issue{ID: idA}))
			a := c.bill(idA)
			wantCheck := bill.CheckCode(chainID, "32060126", "0000000001", subA.Commitment)
			if a.Status != wire.StatusIssued || a.Number != "0000000001" || a.CheckCode != wantCheck || !a.IssuedAt.Equal(c.time) {
				t.Fatalf("issued bill: status %s number %q check %q at %v; want 0000000001 %q at %v", a.Status, a.Number, a.CheckCode, a.IssuedAt, wantCheck, c.time)
			}
			if r := result(t, res[0]); r.Number != a.Number || r.CheckCode != a.CheckCode {
				t.Errorf("issue result %+v, want number and check code", r)
			}
			if !a.Reviewer.Equal(n.clerk.PublicKey()) || len(a.ReviewSig) != 64 || !a.Cashier.Equal(cashier.PublicKey()) {
				t.Errorf("issued bill lacks reviewer or cashier signature")
			}
			if got := string(c.get(wire.NumberKey("32060126", "0000000001"), 0)); got != idA {
				t.Errorf("number index = %q, want %q", got, idA)
			}
			if got := c.payload(c.bill(idA).Payload); string(got) != string(subA.Payload) {
				t.Errorf("payload of revision 1 differs from the submitted one")
			}

			red := cashier.submission(org, "MZ20260105-0001-R", -12_345, 1024)
			res = c.ok(cashier.tx(t, &wire.Reverse{ID: idA, Reason: sealed("患者退费"), Red: *red}))
			redID := bill.ID(org, red.Serial)
			if r := result(t, res[0]); r.RedID != redID || r.Number != "0000000002" {
				t.Fatalf("reverse result %+v", r)
			}
			a, r := c.bill(idA), c.bill(redID)
			if a.Status != wire.StatusReversed || a.ReversedBy != redID || r.RedOf != idA || r.Status != wire.StatusIssued || r.Total != -12_345 {
				t.Fatalf("after reverse: original %s→%q, red %s←%q total %d", a.Status, a.ReversedBy, r.Status, r.RedOf, r.Total)
			}
			wantEvents := []wire.EventType{wire.EventSubmitted, wire.EventApproved, wire.EventIssued, wire.EventReversed}
			if got := eventTypes(a); !slices.Equal(got, wantEvents) {
				t.Errorf("timeline of A = %v, want %v", got, wantEvents)
			}
			if ev := a.Events[0]; ev.Height != submittedAt-1 || ev.TxHash != sha256.Sum256(txA) || !ev.Actor.Equal(cashier.PublicKey()) {
				t.Errorf("submit event %+v", ev)
			}

			// History: at the height of the submission the bill was still submitted.
			old, err := wire.DecodeBillRecord(c.get(wire.BillKey(idA), submittedAt))
			if err != nil || old.Status != wire.StatusSubmitted {
				t.Errorf("bill A at height %d: %s %v, want submitted", submittedAt, old.Status, err)
			}
			if v := c.get(wire.BillKey(bill.ID(org, "no such serial")), 0); v != nil {
				t.Errorf("missing bill has value %x", v)
			}

			// Reject, resubmit as revision 2, approve, issue; withdraw another.
			subB := cashier.submission(org, "MZ20260105-0002", 800, 2048)
			idB := bill.ID(org, subB.Serial)
			c.ok(cashier.tx(t, subB))
			c.ok(n.clerk2.tx(t, &wire.Reject{ID: idB, Revision: 1, Reason: sealed("项目金额与合计不符")}))
			if b := c.bill(idB); b.Status != wire.StatusRejected || string(b.Events[len(b.Events)-1].Sealed) != string(sealed("项目金额与合计不符")) {
				t.Fatalf("rejected bill: %s %v", b.Status, b.Events)
			}
			subB2 := cashier.revision(cashier.submission(org, subB.Serial, 900, 2000), 2)
			res = c.ok(cashier.tx(t, subB2))
			if r := result(t, res[0]); r.Revision != 2 || r.BillID != idB {
				t.Fatalf("resubmission result %+v, want revision 2", r)
			}
			c.ok(n.clerk.tx(t, n.clerk.approval(subB2, 2)))
			c.ok(cashier.tx(t, &wire.Issue{ID: idB}))
			b := c.bill(idB)
			wantEvents = []wire.EventType{wire.EventResubmitted, wire.EventApproved, wire.EventIssued}
			if got := eventTypes(b); !slices.Equal(got, wantEvents) || b.Number != "0000000003" || b.Total != 900 {
				t.Errorf("bill B: timeline %v number %q total %d", got, b.Number, b.Total)
			}
			if h, err := wire.DecodeHistory(c.get(wire.HistoryKey(idB, 1), 0)); err != nil || len(h.Events) != 2 ||
				h.Events[0].Type != wire.EventSubmitted || h.Events[1].Type != wire.EventRejected {
				t.Errorf("bill B: history of revision 1 %+v, %v", h, err)
			}
			histB, err := wire.DecodeHistory(c.get(wire.HistoryKey(idB, 1), 0))
			if err != nil {
				t.Fatal(err)
			}
			if string(c.payload(histB.Payload)) != string(subB.Payload) || string(c.payload(b.Payload)) != string(subB2.Payload) {
				t.Errorf("payloads of both revisions are not kept")
			}
			subC := cashier.submission(org, "MZ20260105-0003", 100, 500)
			idC := bill.ID(org, subC.Serial)
			c.ok(cashier.tx(t, subC))
			c.ok(cashier.tx(t, &wire.Withdraw{ID: idC, Reason: sealed("重复录入")}))
			if s := c.bill(idC).Status; s != wire.StatusWithdrawn {
				t.Errorf("withdrawn bill is %s", s)
			}

			// The org's list, newest first, with and without a status filter, in pages.
			all := c.list(wire.QueryBills, wire.ListRequest{Org: org})
			if got := all.IDs; !slices.Equal(got, []string{idC, idB, redID, idA}) {
				t.Errorf("org bills = %v", got)
			}
			issued := c.list(wire.QueryBills, wire.ListRequest{Org: org, Status: wire.StatusIssued})
			if got := issued.IDs; !slices.Equal(got, []string{idB, redID}) {
				t.Errorf("issued org bills = %v", got)
			}
			var paged []string
			for req := (wire.ListRequest{Org: org, Limit: 3}); ; {
				p := c.list(wire.QueryBills, req)
				paged = append(paged, p.IDs...)
				if p.Next == 0 {
					break
				}
				req.Cursor = p.Next
			}
			if !slices.Equal(paged, all.IDs) {
				t.Errorf("paged org bills = %v", paged)
			}

			// Orgs, accounts, grants, rotation and segments.
			newOrg, newCashier := "H32019999", newActor("new cashier")
			c.ok(n.admin.tx(t, &wire.RegisterOrg{ID: newOrg, Name: "南京市第九人民医院", Kind: wire.OrgHospital, Bureau: bureau, EncKey: []byte("k1")}))
			c.ok(n.admin.tx(t, &wire.RegisterAccount{Pub: newCashier.PublicKey(), EncKey: []byte("e"), Name: "孙收费", Role: wire.RoleCashier, Org: newOrg}))
			// Nobody holds the first key of an org registered after genesis: its first
			// member makes the org's key by a rotation.
			c.ok(newCashier.tx(t, &wire.RotateOrgKey{Org: newOrg, Epoch: 2, EncKey: []byte("k2"),
				Grants: []wire.MemberGrant{{Member: newCashier.PublicKey(), Wrapped: []byte("w2")}}}))
			o, err := wire.DecodeOrg(c.get(wire.OrgKey(newOrg), 0))
			if err != nil || o.KeyEpoch != 2 || string(o.EncKey) != "k2" {
				t.Errorf("rotated org: epoch %d key %q %v", o.KeyEpoch, o.EncKey, err)
			}
			g, err := wire.DecodeGrant(c.get(wire.GrantKey(newOrg, newCashier.PublicKey(), 2), 0))
			if err != nil || string(g.Wrapped) != "w2" || !g.By.Equal(newCashier.PublicKey()) {
				t.Errorf("grant of epoch 2: %+v %v", g, err)
			}
			c.ok(n.clerk.tx(t, &wire.AllocateSegment{Org: newOrg, Code: "32060126", Start: 5001, End: 5001}))
			subN := newCashier.submission(newOrg, "ZY-1", 5, 100)
			c.ok(newCashier.tx(t, subN))
			c.ok(n.clerk.tx(t, n.clerk.approval(subN, 1)))
			c.ok(newCashier.tx(t, &wire.Issue{ID: bill.ID(newOrg, "ZY-1")}))
			if got := c.bill(bill.ID(newOrg, "ZY-1")).Number; got != "0000005001" {
				t.Errorf("number from the new segment = %q", got)
			}
			s, err := wire.DecodeSegment(c.get(wire.SegmentKey(newOrg, "32060126"), 0))
			if err != nil || s.Next != 5002 {
				t.Errorf("segment after issue: %+v %v", s, err)
			}
			acct, err := wire.DecodeAccount(c.get(wire.AccountKey(cashier.PublicKey()), 0))
			if err != nil || acct.Seq != cashier.seq || acct.Role != wire.RoleCashier || acct.Org != org {
				t.Errorf("cashier account %+v %v, want seq %d", acct, err, cashier.seq)
			}

			if dir == "" {
				return
			}
			// A restarted app reports the same committed state and serves old proofs.
			height, hash := c.height, c.hashes[c.height]
			if err := c.app.Close(); err != nil {
				t.Fatal(err)
			}
			app, err := ledger.New(dir, ledger.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { app.Close() })
			c.app = app
			if info := c.info(); info.LastBlockHeight != height || string(info.LastBlockAppHash) != string(hash) {
				t.Fatalf("after restart Info = %d %x, want %d %x", info.LastBlockHeight, info.LastBlockAppHash, height, hash)
			}
			if old := c.get(wire.BillKey(idA), submittedAt); old == nil {
				t.Errorf("old version lost on restart")
			}
			c.ok(cashier.tx(t, cashier.submission(org, "after restart", 1, 10)))
		})
	}
}

func (c *chain) list(path string, req wire.ListRequest) wire.ListPage {
	c.t.Helper()
	p, err := wire.DecodeListPage(c.listRaw(path, req))
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// payload reads the payload with SHA-256 h (as a proven record names it) from the payload
// store, and checks it against h.
func (c *chain) payload(h [32]byte) []byte {
	c.t.Helper()
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: wire.QueryPayload, Data: h[:]})
	if err != nil || res.Code != 0 {
		c.t.Fatalf("payload %x: %d %s %v", h, res.GetCode(), res.GetLog(), err)
	}
	if sha256.Sum256(res.Value) != h {
		c.t.Fatalf("payload stored under %x does not hash to it", h)
	}
	return res.Value
}

// listRaw is the encoded answer to a list query.
func (c *chain) listRaw(path string, req wire.ListRequest) []byte {
	c.t.Helper()
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: path, Data: req.Encode()})
	if err != nil || res.Code != 0 {
		c.t.Fatalf("Query %s: %d %s %v", path, res.GetCode(), res.GetLog(), err)
	}
	return res.Value
}

func eventTypes(b wire.BillRecord) []wire.EventType {
	var out []wire.EventType
	for _, e := range b.Events {
		out = append(out, e.Type)
	}
	return out
}

func hasAttr(r *abci.ExecTxResult, k, v string) bool {
	for _, e := range r.Events {
		for _, a := range e.Attributes {
			if e.Type == "ebill" && a.Key == k && a.Value == v {
				return true
			}
		}
	}
	return false
}
