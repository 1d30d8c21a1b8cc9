package ledger

import (
	"sync"

	"ebill/app/wire"
)

// DefaultMaxPendingPerSigner is the quota of Options.MaxPendingPerSigner: ten times what a
// desk's batch keeps in flight, a twentieth of a node's default mempool.
const DefaultMaxPendingPerSigner = 1024

// pendingExpiry is how many blocks a counted transaction holds its place when this node
// never sees it again: the mempool may drop a transaction after CheckTx admitted it (full,
// or evicted by its own size limits), and such places must come back.
const pendingExpiry = 100

// pending counts, per signer, the transactions CheckTx admitted to this node's mempool that
// no committed block has carried yet, so that one signer cannot fill the mempool. It is
// local to the node and never touches execution: a block is executed the same way whatever
// this node's mempool held.
type pending struct {
	mu       sync.Mutex
	quota    int
	bySigner map[string]int
	txs      map[[32]byte]pendingTx
}

type pendingTx struct {
	signer string
	height int64 // the committed height when it was admitted
}

func newPending(quota int) *pending {
	return &pending{quota: quota, bySigner: map[string]int{}, txs: map[[32]byte]pendingTx{}}
}

// admit counts tx for its signer unless the signer's quota is used up. A transaction
// already counted (gossiped to this node again) is admitted without counting it twice.
func (p *pending) admit(tx *wire.Tx, height int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.txs[tx.Hash]; ok {
		return true
	}
	signer := string(tx.Signer)
	if p.bySigner[signer] >= p.quota {
		return false
	}
	p.bySigner[signer]++
	p.txs[tx.Hash] = pendingTx{signer: signer, height: height}
	return true
}

// release frees the places of transactions that left the mempool: carried by a committed
// block, or evicted by a recheck.
func (p *pending) release(hashes ...[32]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range hashes {
		p.drop(h)
	}
}

// expire frees the places of transactions admitted pendingExpiry blocks before height.
func (p *pending) expire(height int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for h, tx := range p.txs {
		if height-tx.height >= pendingExpiry {
			p.drop(h)
		}
	}
}

func (p *pending) drop(h [32]byte) {
	tx, ok := p.txs[h]
	if !ok {
		return
	}
	delete(p.txs, h)
	if p.bySigner[tx.signer]--; p.bySigner[tx.signer] <= 0 {
		delete(p.bySigner, tx.signer)
	}
}
