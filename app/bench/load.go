package bench

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/app/wire"
	"ebill/lightclient"
)

// job is one transaction a cashier sends. Sampled submissions keep their message, so that
// they can be approved, issued and read back once committed.
type job struct {
	tx     []byte
	submit *wire.SubmitBill
}

// issuing is what the bill life cycle after submission needs: the bureau's clerk, the
// cashier who issues, and a light node for the verified read of the issued bill.
type issuing struct {
	clerk, cashier *localnet.Signer
	light          *lightclient.Client
}

// load drives one target: cashiers send their jobs, a watcher reads every committed block
// and matches its transactions to what was sent.
type load struct {
	clients  []broadcaster // one per cashier: its own connection
	watch    rpcclient.Client
	blocks   func(ctx context.Context, h int64) ([]node.TxOutcome, error) // a block's transactions, from the watched node
	bus      *types.EventBus                                              // nodes in this process: blocks come from here, not the RPC
	jobs     [][]job
	rate     float64 // per cashier, tx/s; 0: as fast as the mempool takes them
	until    time.Time
	issue    *issuing
	drainFor time.Duration

	start   time.Time
	pending sync.Map // [32]byte tx hash → *inflight
	open    atomic.Int64
	sent    atomic.Int64
	refused atomic.Int64
	lastErr atomic.Value // string

	mu      sync.Mutex
	commits []sample
	seen    []time.Time // when the watcher saw each block
	issued  []sample
	failed  int // sampled bills whose life cycle did not finish
	last    time.Time
	life    context.Context // bounds the life cycles of sampled bills
	running atomic.Int64    // life cycles under way
}

// broadcaster hands a transaction to a node's mempool and returns CheckTx's answer.
type broadcaster func(ctx context.Context, tx []byte) (*ctypes.ResultBroadcastTx, error)

// inflight is a transaction sent and not yet seen in a block.
type inflight struct {
	sent time.Time
	done func(height int64, code uint32, at time.Time)
}

var errMempoolFull = "mempool is full"

// maxInFlight caps the bills one cashier has sent and not yet seen committed: below the
// ledger's window of 128 sequences, so that a saturated node that commits a cashier's
// transactions out of order never sees one fall behind the window (a replay refusal).
const maxInFlight = 96

// send registers tx before broadcasting it (its block may be read before the broadcast
// returns) and retries while the mempool is full.
func (l *load) send(ctx context.Context, c broadcaster, tx []byte, f *inflight) error {
	key := sha256.Sum256(tx)
	l.pending.Store(key, f)
	l.open.Add(1)
	for {
		res, err := c(ctx, tx)
		if err == nil && res.Code == 0 {
			return nil
		}
		// A GET lost on a kept-alive connection is sent again by net/http: the node that
		// took the first copy knows the transaction, which is then on its way.
		if err != nil && strings.Contains(err.Error(), "tx already exists in cache") {
			return nil
		}
		if err != nil && strings.Contains(err.Error(), errMempoolFull) && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		if _, ok := l.pending.LoadAndDelete(key); ok {
			l.open.Add(-1)
		}
		if err == nil {
			err = fmt.Errorf("code %d (%s): %s", res.Code, wire.Code(res.Code), res.Log)
		}
		l.lastErr.Store(err.Error())
		return fmt.Errorf("broadcast: %w", err)
	}
}

// cashier sends its jobs in order, paced when a rate is set, until they run out or the
// time is up.
func (l *load) cashier(ctx context.Context, i int) {
	var interval time.Duration
	if l.rate > 0 {
		interval = time.Duration(float64(time.Second) / l.rate)
	}
	slots := make(chan struct{}, maxInFlight)
	for k, j := range l.jobs[i] {
		if ctx.Err() != nil || (!l.until.IsZero() && time.Now().After(l.until)) {
			return
		}
		if !l.acquire(ctx, slots) {
			return
		}
		var once sync.Once
		release := func() { once.Do(func() { <-slots }) }
		if interval > 0 {
			if wait := time.Until(l.start.Add(time.Duration(k) * interval)); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		sent := time.Now()
		f := &inflight{sent: sent, done: func(h int64, code uint32, at time.Time) {
			release()
			if code != 0 {
				l.refused.Add(1)
				return
			}
			l.mu.Lock()
			l.commits = append(l.commits, sample{at: at.Sub(l.start), latency: at.Sub(sent)})
			l.last = at
			l.mu.Unlock()
			if j.submit != nil && l.issue != nil {
				l.running.Add(1)
				go l.lifecycle(l.life, l.clients[i], j.submit, sent)
			}
		}}
		if err := l.send(ctx, l.clients[i], j.tx, f); err != nil {
			release()
			l.refused.Add(1)
			continue
		}
		l.sent.Add(1)
	}
}

// acquire takes one of a cashier's in-flight slots, waiting while all are taken; false
// when ctx ends or the time is up first.
func (l *load) acquire(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	default:
	}
	var up <-chan time.Time
	if !l.until.IsZero() {
		t := time.NewTimer(time.Until(l.until))
		defer t.Stop()
		up = t.C
	}
	select {
	case slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-up:
		return false
	}
}

// commit sends tx and waits until a block holds it.
func (l *load) commit(ctx context.Context, c broadcaster, tx []byte) (int64, error) {
	type out struct {
		h    int64
		code uint32
	}
	ch := make(chan out, 1)
	if err := l.send(ctx, c, tx, &inflight{sent: time.Now(), done: func(h int64, code uint32, _ time.Time) {
		ch <- out{h, code}
	}}); err != nil {
		return 0, err
	}
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case o := <-ch:
		if o.code != 0 {
			return o.h, fmt.Errorf("refused in block %d: code %d (%s)", o.h, o.code, wire.Code(o.code))
		}
		return o.h, nil
	}
}

// lifecycle takes a committed submission through approval and issue, then reads the issued
// bill through the light node: the submit→verified-issued latency.
func (l *load) lifecycle(ctx context.Context, c broadcaster, s *wire.SubmitBill, sent time.Time) {
	defer l.running.Add(-1)
	err := func() error {
		tx, err := l.issue.clerk.Tx(l.issue.clerk.Approve(s))
		if err != nil {
			return err
		}
		if _, err := l.commit(ctx, c, tx); err != nil {
			return fmt.Errorf("approve: %w", err)
		}
		if tx, err = l.issue.cashier.Tx(&wire.Issue{ID: bill.ID(s.Org, s.Serial)}); err != nil {
			return err
		}
		h, err := l.commit(ctx, c, tx)
		if err != nil {
			return fmt.Errorf("issue: %w", err)
		}
		if _, err := l.issue.light.WaitHeight(ctx, h); err != nil {
			return fmt.Errorf("verified header after block %d: %w", h, err)
		}
		b, _, err := l.issue.light.Bill(ctx, bill.ID(s.Org, s.Serial))
		if err != nil {
			return fmt.Errorf("verified read: %w", err)
		}
		if b.Status != wire.StatusIssued || b.Number == "" {
			return fmt.Errorf("verified read: bill %s is %v without a number", bill.ID(s.Org, s.Serial), b.Status)
		}
		return nil
	}()
	at := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed++
		l.lastErr.Store(err.Error())
		return
	}
	l.issued = append(l.issued, sample{at: at.Sub(l.start), latency: at.Sub(sent)})
}

// watchBus settles the transactions of every block the node's event bus reports: the
// block and its results arrive as they are, with no RPC encoding on either side, so the
// measuring takes next to nothing from the cores the nodes share with it.
func (l *load) watchBus(ctx context.Context, sub types.Subscription) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Canceled():
			if ctx.Err() == nil {
				l.lastErr.Store(fmt.Sprintf("block subscription ended: %v", sub.Err()))
			}
			return
		case m := <-sub.Out():
			ev, ok := m.Data().(types.EventDataNewBlock)
			if !ok {
				continue
			}
			txs := make([]node.TxOutcome, len(ev.Block.Txs))
			for i, tx := range ev.Block.Txs {
				txs[i].Hash = sha256.Sum256(tx)
				if i < len(ev.ResultFinalizeBlock.TxResults) {
					txs[i].Code = ev.ResultFinalizeBlock.TxResults[i].Code
				}
			}
			l.settleTxs(ev.Block.Height, txs)
		}
	}
}

// watcher reads every block after from and settles the transactions it holds. It stops
// when ctx ends.
func (l *load) watcher(ctx context.Context, from int64) {
	next := from + 1
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for ctx.Err() == nil {
		st, err := l.watch.Status(ctx)
		if err == nil {
			for next <= st.SyncInfo.LatestBlockHeight && ctx.Err() == nil {
				// A block's results may be saved a moment after the height is reported:
				// try it again at the next poll.
				if l.settle(ctx, next) != nil {
					break
				}
				next++
			}
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

func (l *load) settle(ctx context.Context, h int64) error {
	txs, err := l.blocks(ctx, h)
	if err != nil {
		return err
	}
	l.settleTxs(h, txs)
	return nil
}

// settleTxs hands the outcome of each transaction of block h that was sent to its sender.
func (l *load) settleTxs(h int64, txs []node.TxOutcome) {
	at := time.Now()
	l.mu.Lock()
	l.seen = append(l.seen, at)
	l.mu.Unlock()
	for _, tx := range txs {
		v, ok := l.pending.LoadAndDelete(tx.Hash)
		if !ok {
			continue
		}
		l.open.Add(-1)
		v.(*inflight).done(h, tx.Code, at)
	}
}

// run sends every job and waits for what was sent to be committed, for at most drainFor
// after the last send.
func (l *load) run(ctx context.Context, height int64) error {
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	life, stopLife := context.WithCancel(ctx)
	defer stopLife()
	l.life = life
	if l.bus != nil {
		// Subscribed before the first send, so no block with a sent tx can be missed.
		who := fmt.Sprintf("bench-%p", l)
		sub, err := l.bus.Subscribe(wctx, who, types.EventQueryNewBlock, 1000)
		if err != nil {
			return fmt.Errorf("subscribe to blocks: %w", err)
		}
		defer func() {
			stopWatch()                                     // first, so that watchBus does not take the end for a failure
			l.bus.UnsubscribeAll(context.Background(), who) //nolint:errcheck // the node stops next
		}()
		go l.watchBus(wctx, sub)
	} else {
		go l.watcher(wctx, height)
	}
	l.start = time.Now()
	var wg sync.WaitGroup
	for i := range l.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.cashier(ctx, i)
		}()
	}
	wg.Wait()
	dctx, cancel := context.WithTimeout(ctx, l.drainFor)
	defer cancel()
	err := localnet.Poll(dctx, func() bool { return l.open.Load() == 0 && l.running.Load() == 0 })
	stopLife()
	// The life cycles cancelled above record their failure; wait for them to do so.
	localnet.Poll(ctx, func() bool { return l.running.Load() == 0 })
	if err != nil {
		return fmt.Errorf("%d transactions not committed %v after the last send: %w", l.open.Load(), l.drainFor, err)
	}
	return nil
}

// blockInterval is the time from the first send to the last commit in milliseconds,
// divided by the blocks seen in it (0 when none), and how many those are. Counting, rather
// than timing the gaps, holds when the watcher catches up on several blocks in one poll.
// The caller holds l.mu.
func (l *load) blockInterval() (float64, int) {
	n := 0
	for _, at := range l.seen {
		if !at.Before(l.start) && !at.After(l.last) {
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(l.last.Sub(l.start).Microseconds()) / 1000 / float64(n), n
}

func (l *load) lastError() error {
	if s, ok := l.lastErr.Load().(string); ok {
		return errors.New(s)
	}
	return nil
}
