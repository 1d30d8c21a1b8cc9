package ledger_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"ebill/app/ledger"
	"ebill/app/wire"
)

// A pruned ledger keeps the latest versions only, and still proves every bill and serves
// every payload: records live in the latest version, payloads outside the tree. It opens
// again after pruning at the same height and hash.
func TestPruningKeepsBillsVerifiable(t *testing.T) {
	n := newNetwork()
	dir := t.TempDir()
	c := newChainOpts(t, dir, n.genesis, ledger.Options{KeepVersions: 3})
	h, org := n.cashiers[0], n.hospitals[0]
	sub := h.submission(org, "pruned", 100, 512)
	c.ok(h.tx(t, sub))
	c.ok(n.clerk.tx(t, n.clerk.approval(sub, 1)))
	c.ok(h.tx(t, &wire.Issue{ID: sub.ID()}))
	for i := range 8 {
		c.ok(h.tx(t, h.submission(org, "later"+string(rune('a'+i)), 100, 64)))
	}
	if b := c.bill(sub.ID()); b.Status != wire.StatusIssued {
		t.Fatalf("bill %s after pruning", b.Status)
	}
	if got := c.payload(c.bill(sub.ID()).Payload); string(got) != string(sub.Payload) {
		t.Error("the payload is gone after pruning")
	}
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: wire.QueryKey, Data: wire.BillKey(sub.ID()), Height: 2, Prove: true})
	if err != nil || wire.Code(res.Code) != wire.CodeNotFound {
		t.Errorf("a query at pruned height 2: code %d %q, %v; want not_found", res.GetCode(), res.GetLog(), err)
	}
	want := c.info()
	c.app.Close()
	app, err := ledger.New(dir, ledger.Options{KeepVersions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	got, err := app.Info(context.Background(), &abci.InfoRequest{})
	if err != nil || got.LastBlockHeight != want.LastBlockHeight || string(got.LastBlockAppHash) != string(want.LastBlockAppHash) {
		t.Errorf("reopened at %d %x (%v), want %d %x", got.GetLastBlockHeight(), got.GetLastBlockAppHash(), err, want.LastBlockHeight, want.LastBlockAppHash)
	}
}
