package ledger_test

import (
	"context"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"ebill/app/wire"
)

// TestReadersDuringBlocks runs CheckTx and proven queries on other goroutines while blocks
// are finalized and committed, as NewConnSyncLocalClientCreator would. Run it with -race;
// without it, it still checks that readers only ever see committed, provable state.
func TestReadersDuringBlocks(t *testing.T) {
	n := newNetwork()
	c := newChain(t, t.TempDir(), n.genesis)
	h, org := n.cashiers[0], n.hospitals[0]
	first := h.submission(org, "first", 1, 256)
	c.ok(h.tx(t, first))
	key := wire.BillKey(first.ID())

	var blocks [][][]byte
	var probes [][]byte
	for i := range 20 {
		var txs [][]byte
		for j := range 10 {
			txs = append(txs, h.tx(t, h.submission(org, "c"+string(rune('a'+i))+string(rune('a'+j)), 1, 256)))
		}
		blocks = append(blocks, txs)
		probes = append(probes, n.clerk.tx(t, n.clerk.approval(first, 1)))
	}
	ctx := context.Background()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			res, err := c.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: probes[i%len(probes)]})
			if err != nil || (res.Code != 0 && wire.Code(res.Code) != wire.CodeReplay) {
				t.Errorf("CheckTx during blocks: %d %s %v", res.GetCode(), res.GetLog(), err)
				return
			}
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			res, err := c.app.Query(ctx, &abci.QueryRequest{Path: wire.QueryKey, Data: key, Prove: true})
			if err != nil || res.Code != 0 || res.Value == nil || len(res.ProofOps.GetOps()) != 1 {
				t.Errorf("Query during blocks: %d %s %v", res.GetCode(), res.GetLog(), err)
				return
			}
		}
	})
	for _, txs := range blocks {
		c.finalize(txs...)
	}
	close(done)
	wg.Wait()
}
