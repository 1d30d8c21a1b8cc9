package ledger_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"ebill/app/ledger"
	"ebill/app/wire"
)

// A node that joins from a snapshot comes to the same app hash as the node that wrote it,
// proves every bill and serves every payload (which are in no block it replays), and then
// follows the chain block for block. A changed chunk is fetched again from another peer;
// a snapshot whose state is not the verified app hash is refused.
func TestSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	n := newNetwork()
	a := newChainOpts(t, t.TempDir(), n.genesis, ledger.Options{SnapshotInterval: 6})
	h, org := n.cashiers[0], n.hospitals[0]
	var subs []*wire.SubmitBill
	for i := range 3 {
		sub := h.submission(org, "snap"+string(rune('a'+i)), 100, 3000)
		subs = append(subs, sub)
		a.ok(h.tx(t, sub))
		a.ok(n.clerk.tx(t, n.clerk.approval(sub, 1)))
	}
	later := [][]byte{h.tx(t, &wire.Issue{ID: subs[0].ID()}), h.tx(t, &wire.Withdraw{ID: subs[1].ID(), Reason: sealed("重复")})}
	for _, tx := range later {
		a.ok(tx)
	}
	if a.height != 8 {
		t.Fatalf("at height %d, the test wants 8", a.height)
	}
	// The snapshot of height 6 is written in the background.
	var snap *abci.Snapshot
	for deadline := time.Now().Add(time.Minute); snap == nil; {
		res, err := a.app.ListSnapshots(ctx, &abci.ListSnapshotsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Snapshots {
			if s.Height == 6 {
				snap = s
			}
		}
		if snap == nil && time.Now().After(deadline) {
			t.Fatal("no snapshot of height 6 within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	chunk := func(i uint32) []byte {
		res, err := a.app.LoadSnapshotChunk(ctx, &abci.LoadSnapshotChunkRequest{Height: snap.Height, Format: snap.Format, Chunk: i})
		if err != nil || len(res.Chunk) == 0 {
			t.Fatalf("chunk %d: %v", i, err)
		}
		return res.Chunk
	}
	restore := func(b *ledger.App, appHash []byte, tamper bool) abci.ApplySnapshotChunkResult {
		offer, err := b.OfferSnapshot(ctx, &abci.OfferSnapshotRequest{Snapshot: snap, AppHash: appHash})
		if err != nil || offer.Result != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
			t.Fatalf("offer: %v %v", offer.GetResult(), err)
		}
		var last abci.ApplySnapshotChunkResult
		for i := uint32(0); i < snap.Chunks; i++ {
			c := chunk(i)
			if tamper {
				c[len(c)/2] ^= 1
				res, err := b.ApplySnapshotChunk(ctx, &abci.ApplySnapshotChunkRequest{Index: i, Chunk: c, Sender: "liar"})
				if err != nil || res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY || len(res.RejectSenders) != 1 {
					t.Fatalf("a changed chunk: %v %v", res.GetResult(), err)
				}
				c = chunk(i)
			}
			res, err := b.ApplySnapshotChunk(ctx, &abci.ApplySnapshotChunkRequest{Index: i, Chunk: c, Sender: "peer"})
			if err != nil {
				t.Fatal(err)
			}
			if last = res.Result; last != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
				break
			}
		}
		return last
	}

	// A snapshot whose state is not the verified one is refused and leaves the ledger
	// empty: the same ledger then restores a good one.
	b := newLedger(t)
	if got := restore(b, []byte("not the app hash of height 6........"), false); got != abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT {
		t.Errorf("a snapshot that is not the verified state: %v, want REJECT_SNAPSHOT", got)
	}
	if info, err := b.Info(ctx, &abci.InfoRequest{}); err != nil || info.LastBlockHeight != 0 || len(info.LastBlockAppHash) != 0 {
		t.Fatalf("after a refused snapshot the ledger is at %d %X (%v), want empty", info.GetLastBlockHeight(), info.GetLastBlockAppHash(), err)
	}
	if got := restore(b, a.hashes[6], true); got != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
		t.Fatalf("restore: %v", got)
	}
	info, err := b.Info(ctx, &abci.InfoRequest{})
	if err != nil || info.LastBlockHeight != 6 || string(info.LastBlockAppHash) != string(a.hashes[6]) {
		t.Fatalf("restored at %d %X (%v), want 6 %X", info.GetLastBlockHeight(), info.GetLastBlockAppHash(), err, a.hashes[6])
	}
	// The restored node proves the bills and serves their payloads.
	rb := &chain{t: t, app: b, height: 6, time: a.time, hashes: map[int64][]byte{6: a.hashes[6]}}
	for _, sub := range subs {
		if got := rb.payload(rb.bill(sub.ID()).Payload); string(got) != string(sub.Payload) {
			t.Errorf("bill %s: payload not served after the restore", sub.ID())
		}
		if st := rb.bill(sub.ID()).Status; st != wire.StatusApproved {
			t.Errorf("bill %s: %s after the restore, want approved", sub.ID(), st)
		}
	}
	// And it follows the chain: blocks 7 and 8 as the first node had them.
	rb.time = a.time.Add(-2 * time.Second)
	for _, tx := range later {
		rb.finalize(tx)
	}
	for height := int64(7); height <= 8; height++ {
		if string(rb.hashes[height]) != string(a.hashes[height]) {
			t.Errorf("block %d on the restored node: %X, on the first %X", height, rb.hashes[height], a.hashes[height])
		}
	}
}

func newLedger(t *testing.T) *ledger.App {
	t.Helper()
	b, err := ledger.New(t.TempDir(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// A snapshot offered by a peer is refused when it has no chunks or its metadata does not
// make its hash, before any chunk is applied: a bad offer never crashes a joining node.
func TestSnapshotOffersRefused(t *testing.T) {
	ctx := context.Background()
	empty := sha256.Sum256(nil)
	for _, tc := range []struct {
		name string
		snap *abci.Snapshot
		want abci.OfferSnapshotResult
	}{
		{"no chunks", &abci.Snapshot{Height: 6, Format: ledger.SnapshotFormat, Chunks: 0, Hash: empty[:], Metadata: []byte(`{"chunks":[]}`)},
			abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"hash not of its metadata", &abci.Snapshot{Height: 6, Format: ledger.SnapshotFormat, Chunks: 1, Hash: empty[:],
			Metadata: []byte(`{"chunks":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]}`)}, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"other format", &abci.Snapshot{Height: 6, Format: ledger.SnapshotFormat + 1}, abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT},
		{"height 0", &abci.Snapshot{Height: 0, Format: ledger.SnapshotFormat, Chunks: 0, Hash: empty[:], Metadata: []byte(`{"chunks":[]}`)},
			abci.OFFER_SNAPSHOT_RESULT_REJECT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newLedger(t)
			res, err := b.OfferSnapshot(ctx, &abci.OfferSnapshotRequest{Snapshot: tc.snap, AppHash: []byte("hash")})
			if err != nil || res.Result != tc.want {
				t.Errorf("offer: %v %v, want %v", res.GetResult(), err, tc.want)
			}
			apply, err := b.ApplySnapshotChunk(ctx, &abci.ApplySnapshotChunkRequest{Index: 0})
			if err != nil || apply.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT {
				t.Errorf("a chunk after a refused offer: %v %v, want ABORT", apply.GetResult(), err)
			}
		})
	}
}

// Closing the ledger while a snapshot is being written stops the snapshot cleanly: no read
// of a closed database, no half-written snapshot listed when the ledger opens again.
func TestCloseWhileSnapshotting(t *testing.T) {
	ctx := context.Background()
	n := newNetwork()
	h, org := n.cashiers[0], n.hospitals[0]
	for round := range 5 {
		dir := t.TempDir()
		c := newChainOpts(t, dir, n.genesis, ledger.Options{SnapshotInterval: 1})
		h.seq = 0
		c.ok(h.tx(t, h.submission(org, "close", 100, 4000)))
		if err := c.app.Close(); err != nil {
			t.Fatalf("round %d: close: %v", round, err)
		}
		b, err := ledger.New(dir, ledger.Options{SnapshotInterval: 1})
		if err != nil {
			t.Fatal(err)
		}
		list, err := b.ListSnapshots(ctx, &abci.ListSnapshotsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list.Snapshots {
			for i := range s.Chunks {
				res, err := b.LoadSnapshotChunk(ctx, &abci.LoadSnapshotChunkRequest{Height: s.Height, Format: s.Format, Chunk: i})
				if err != nil || len(res.Chunk) == 0 {
					t.Errorf("round %d: snapshot %d lists chunk %d, which is missing", round, s.Height, i)
				}
			}
		}
		b.Close()
	}
}
