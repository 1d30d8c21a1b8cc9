package ledger_test

import (
	"strings"
	"testing"

	"ebill/app/wire"
)

// maxRecordBytes bounds a bill record whatever its history: the fixed fields and one
// revision's events, each with the longest notes.
const maxRecordBytes = 1024 + 4*(128+512+wire.MaxReason+28)

// A cashier cycling one bill through withdraw and resubmit, each with the longest reason,
// must neither grow its record nor halt the chain: earlier revisions' timelines are kept
// apart, written once, and a bill takes at most MaxRevisions revisions.
func TestCyclingCannotGrowARecord(t *testing.T) {
	n := newNetwork()
	h, org := n.cashiers[0], n.hospitals[0]
	c := newChain(t, "", n.genesis)
	sub := h.submission(org, "cycle", 100, 64)
	c.ok(h.tx(t, sub))
	reason := sealed(strings.Repeat("因", wire.MaxReason/3))
	for rev := uint32(1); rev < wire.MaxRevisions; rev++ {
		c.ok(h.tx(t, &wire.Withdraw{ID: sub.ID(), Reason: reason}))
		c.ok(h.tx(t, h.revision(sub, rev+1)))
		if size := len(c.get(wire.BillKey(sub.ID()), 0)); size > maxRecordBytes {
			t.Fatalf("revision %d: record of %d bytes exceeds %d", rev+1, size, maxRecordBytes)
		}
	}
	c.ok(h.tx(t, &wire.Withdraw{ID: sub.ID(), Reason: reason}))
	c.refused(h.tx(t, h.revision(sub, wire.MaxRevisions+1)), wire.CodeTooManyRevisions)

	b := c.bill(sub.ID())
	if b.Revision != wire.MaxRevisions || b.Status != wire.StatusWithdrawn {
		t.Fatalf("bill at revision %d %s, want %d withdrawn", b.Revision, b.Status, wire.MaxRevisions)
	}
	// The whole timeline is still there: every earlier revision under its HistoryKey.
	events := 0
	for rev := uint32(1); rev < b.Revision; rev++ {
		hist, err := wire.DecodeHistory(c.get(wire.HistoryKey(sub.ID(), rev), 0))
		if err != nil || hist.Revision != rev || len(hist.Events) != 2 {
			t.Fatalf("history of revision %d: %+v, %v", rev, hist, err)
		}
		events += len(hist.Events)
	}
	if events += len(b.Events); events != 2*int(wire.MaxRevisions) {
		t.Errorf("timeline holds %d events, want %d", events, 2*wire.MaxRevisions)
	}
}

// A cashier fattening queued bills (long reasons, many revisions) cannot make the bureau's
// review queue undecodable or large: a list page holds small fixed entries.
func TestFatQueueStaysSmall(t *testing.T) {
	n := newNetwork()
	c := newChain(t, "", n.genesis)
	reason := sealed(strings.Repeat("x", wire.MaxReason))
	var txs [][]byte
	for i := range wire.MaxListLimit + 5 {
		h, org := n.cashiers[i%3], n.hospitals[i%3]
		sub := h.submission(org, "fat"+string(rune('A'+i/26))+string(rune('a'+i%26)), 100, 64)
		txs = append(txs, h.tx(t, sub), h.tx(t, &wire.Withdraw{ID: sub.ID(), Reason: reason}), h.tx(t, h.revision(sub, 2)))
	}
	c.ok(txs...)
	raw := c.listRaw(wire.QueryQueue, wire.ListRequest{Org: bureau})
	page, err := wire.DecodeListPage(raw)
	if err != nil {
		t.Fatalf("queue page: %v", err)
	}
	if len(page.IDs) != wire.MaxListLimit || page.Next == 0 {
		t.Errorf("queue page of %d bills, next %d; want %d and more", len(page.IDs), page.Next, wire.MaxListLimit)
	}
	if len(raw) > wire.MaxListPageBytes {
		t.Errorf("queue page of %d bytes exceeds %d", len(raw), wire.MaxListPageBytes)
	}
}

// refused checks that tx is refused with want in CheckTx and again in FinalizeBlock.
func (c *chain) refused(tx []byte, want wire.Code) {
	c.t.Helper()
	chk := c.checkTx(tx)
	if got := wire.Code(chk.Code); got != want {
		c.t.Errorf("CheckTx: code %s (%s), want %s", got, chk.Log, want)
	}
	res := c.finalize(tx)[0]
	if got := wire.Code(res.Code); got != want {
		c.t.Errorf("FinalizeBlock: code %s (%s), want %s", got, res.Log, want)
	}
}
