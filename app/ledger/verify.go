package ledger

import (
	"runtime"
	"sync"

	cmted "github.com/cometbft/cometbft/crypto/ed25519"

	"ebill/app/wire"
)

// Signatures are verified with CometBFT's curve25519-voi Ed25519 under ZIP-215 rules, both
// singly and in batches, so a signature is valid or not by the same rule on every path and
// every node, whether this node saw the tx in CheckTx or only in a block.

// verifySingle verifies every signature of one transaction.
func verifySingle(tx *wire.Tx) bool {
	for _, c := range tx.SigChecks() {
		if !cmted.PubKey(c.Pub).VerifySignature(c.Msg, c.Sig) {
			return false
		}
	}
	return true
}

// verifyBatch verifies the signatures of txs split over the cores, each part in one batch,
// and reports per transaction whether all of its signatures hold.
func verifyBatch(txs []*wire.Tx) []bool {
	ok := make([]bool, len(txs))
	parts := min(runtime.GOMAXPROCS(0), (len(txs)+31)/32)
	if parts <= 1 {
		verifyPart(txs, ok)
		return ok
	}
	var wg sync.WaitGroup
	size := (len(txs) + parts - 1) / parts
	for lo := 0; lo < len(txs); lo += size {
		hi := min(lo+size, len(txs))
		wg.Go(func() { verifyPart(txs[lo:hi], ok[lo:hi]) })
	}
	wg.Wait()
	return ok
}

func verifyPart(txs []*wire.Tx, ok []bool) {
	bv := cmted.NewBatchVerifier()
	var owner []int // owner[i] is the index in txs of the i-th signature added
	for i, tx := range txs {
		ok[i] = true
		for _, c := range tx.SigChecks() {
			if bv.Add(cmted.PubKey(c.Pub), c.Msg, c.Sig) != nil {
				ok[i] = false
				continue
			}
			owner = append(owner, i)
		}
	}
	if len(owner) == 0 {
		return
	}
	if all, each := bv.Verify(); !all {
		for j, good := range each {
			if !good {
				ok[owner[j]] = false
			}
		}
	}
}

// seenCache remembers the hashes of transactions whose signatures this node has verified,
// so a block of mempool transactions is not verified twice. It holds up to two generations
// of limit entries; forgetting only costs a verification.
type seenCache struct {
	mu        sync.Mutex
	cur, prev map[[32]byte]struct{}
	limit     int
}

func newSeenCache(limit int) *seenCache {
	return &seenCache{cur: make(map[[32]byte]struct{}), prev: make(map[[32]byte]struct{}), limit: limit}
}

func (c *seenCache) add(h [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= c.limit {
		c.prev, c.cur = c.cur, make(map[[32]byte]struct{}, c.limit)
	}
	c.cur[h] = struct{}{}
}

func (c *seenCache) has(h [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, a := c.cur[h]
	_, b := c.prev[h]
	return a || b
}
