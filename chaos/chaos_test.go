//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/tmhash"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/app/node/nodetest"
	"ebill/app/wire"
	"ebill/lightclient"
)

var ebilld string

func TestMain(m *testing.M) {
	os.Exit(nodetest.MainBuilding(m, "ebill/cmd/ebilld", &ebilld))
}

// world is a four-validator network with the demo people and a few load cashiers.
type world struct {
	*localnet.Cluster
	ids      node.DemoIdentities
	cashiers []*localnet.Signer
	clerk    *localnet.Signer
}

func newWorld(t *testing.T, ctx context.Context, cashiers int) *world {
	t.Helper()
	g, ids, extra, err := localnet.DemoGenesis(cashiers, "chaos-cashier")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{ids: ids, clerk: localnet.NewSigner(node.DemoChainID, ids.Clerk, 0)}
	for _, id := range extra {
		w.cashiers = append(w.cashiers, localnet.NewSigner(node.DemoChainID, id, 0))
	}
	w.Cluster, err = localnet.NewCluster(ctx, ebilld, t.TempDir(), 4, node.DemoChainID, g)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if err := w.WaitAll(ctx, 2); err != nil {
		t.Fatal(err)
	}
	return w
}

// commitAny gets tx committed through whichever node answers, starting at node first:
// a node that is down or restarting is passed over, and a transaction that already made
// it into a block (through a node that died before answering) is found there.
func (w *world) commitAny(ctx context.Context, first int, tx []byte) (int64, error) {
	hash := tmhash.Sum(tx)
	var last error
	for try := 0; ctx.Err() == nil; try++ {
		c, err := w.Client((first + try) % w.Len())
		if err != nil {
			return 0, err
		}
		if res, err := c.Tx(ctx, hash, false); err == nil {
			if res.TxResult.Code != 0 {
				return res.Height, fmt.Errorf("%w: code %d: %s", nodetest.ErrRefused, res.TxResult.Code, res.TxResult.Log)
			}
			return res.Height, nil
		}
		if _, err := nodetest.Broadcast(ctx, c, tx); err != nil && !strings.Contains(err.Error(), "already exists in cache") {
			if errors.Is(err, nodetest.ErrRefused) && !strings.Contains(err.Error(), "sequence") {
				return 0, err
			}
			// A replayed sequence means an earlier send of this very tx is in a block:
			// the next round finds it.
			last = err
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := nodetest.WaitTx(wctx, c, hash)
		cancel()
		if err == nil {
			if res.TxResult.Code != 0 {
				return res.Height, fmt.Errorf("%w: code %d: %s", nodetest.ErrRefused, res.TxResult.Code, res.TxResult.Log)
			}
			return res.Height, nil
		}
		last = err
	}
	return 0, fmt.Errorf("tx %X: %w (last error %v)", hash, ctx.Err(), last)
}

// acked is what the load was told: bills whose submission, and issue, were committed.
type acked struct {
	mu        sync.Mutex
	submitted []string
	issued    []string
}

// load runs one desk per cashier until ctx ends: submit, approve, issue, each only after
// the previous step was acknowledged as committed.
func (w *world) load(ctx context.Context, t *testing.T, a *acked) *sync.WaitGroup {
	var wg sync.WaitGroup
	var fails atomic.Int64
	for i, s := range w.cashiers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ctx.Err() == nil; k++ {
				m := s.Submit(node.DemoHospital, node.DemoBillCode, fmt.Sprintf("MZ-chaos-%d-%05d", i, k), 1024)
				id := bill.ID(m.Org, m.Serial)
				steps := []func() (wire.Msg, *localnet.Signer){
					func() (wire.Msg, *localnet.Signer) { return m, s },
					func() (wire.Msg, *localnet.Signer) { return w.clerk.Approve(m), w.clerk },
					func() (wire.Msg, *localnet.Signer) { return &wire.Issue{ID: id}, s },
				}
				for n, step := range steps {
					msg, signer := step()
					tx, err := signer.Tx(msg)
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := w.commitAny(ctx, i+k, tx); err != nil {
						if ctx.Err() == nil && fails.Add(1) < 5 {
							t.Logf("cashier %d, bill %s, step %d: %v", i, id, n, err)
						}
						break
					}
					a.mu.Lock()
					switch n {
					case 0:
						a.submitted = append(a.submitted, id)
					case 2:
						a.issued = append(a.issued, id)
					}
					a.mu.Unlock()
				}
			}
		}()
	}
	return &wg
}

// reader is the desk's light node reading one bill, verified, again and again; it counts
// what it could not read.
type reader struct {
	ok, failed atomic.Int64
	lastErr    atomic.Value
	done       chan struct{}

	mu        sync.Mutex
	first     []string // the first few failures, with when they happened
	primaries []string // the light node's primaries, in the order it took them
}

// sawPrimary notes the light node's primary after a read.
func (r *reader) sawPrimary(p string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.primaries); n == 0 || r.primaries[n-1] != p {
		r.primaries = append(r.primaries, p)
	}
}

// switched fails the test unless the light node left its first primary: each test kills it.
func (r *reader) switched(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Logf("light node primaries, in turn: %v", r.primaries)
	if len(r.primaries) < 2 {
		t.Errorf("light node never switched primaries (%v), though its primary was killed", r.primaries)
	}
}

// fail counts a failed read and keeps its error.
func (r *reader) fail(msg string) {
	r.failed.Add(1)
	r.lastErr.Store(msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.first) < 5 {
		r.first = append(r.first, time.Now().Format("15:04:05.000")+" "+msg)
	}
}

// failures are the first few failed reads, for the test log.
func (r *reader) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.first, "\n")
}

func (w *world) reader(t *testing.T, ctx context.Context, id string, after int64) *reader {
	t.Helper()
	f, err := w.NetworkFile(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := hex.DecodeString(f.TrustHash)
	lc, err := lightclient.New(ctx, lightclient.Config{ChainID: f.ChainID, TrustHeight: f.TrustHeight, TrustHash: hash,
		Primary: f.Primary, Witnesses: f.Witnesses}, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Reads start once the light node has verified the block that holds the bill.
	if _, err := lc.WaitHeight(ctx, after); err != nil {
		t.Fatal(err)
	}
	r := &reader{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer lc.Close()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			// As long as a desk would wait before saying the network is down.
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			b, _, err := lc.Bill(rctx, id)
			cancel()
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				r.fail(err.Error())
			case b.ID != id:
				r.fail("read another bill " + b.ID)
			default:
				r.ok.Add(1)
			}
			r.sawPrimary(lc.Status().Primary)
		}
	}()
	return r
}

// seedBill commits one bill through node 0 for the reader to read.
func (w *world) seedBill(t *testing.T, ctx context.Context, serial string) (string, int64) {
	t.Helper()
	s := w.cashiers[0]
	m := s.Submit(node.DemoHospital, node.DemoBillCode, serial, 512)
	tx, err := s.Tx(m)
	if err != nil {
		t.Fatal(err)
	}
	h, err := w.commitAny(ctx, 0, tx)
	if err != nil {
		t.Fatal(err)
	}
	return bill.ID(m.Org, m.Serial), h
}

// sameHeight waits until every node is at or past one height and returns it.
func (w *world) sameHeight(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	var top int64
	for i := range w.Len() {
		c, err := w.Client(i)
		if err != nil {
			t.Fatal(err)
		}
		h, err := localnet.WaitHeight(ctx, c, 1)
		if err != nil {
			t.Fatalf("node%d: %v", i, err)
		}
		top = max(top, h)
	}
	if err := w.WaitAll(ctx, top+1); err != nil {
		t.Fatal(err)
	}
	return top
}

// checkAgree fails unless every running node reports the same app hash after block h.
func (w *world) checkAgree(t *testing.T, ctx context.Context, h int64, nodes ...int) {
	t.Helper()
	var want []byte
	for _, i := range nodes {
		c, err := w.Client(i)
		if err != nil {
			t.Fatal(err)
		}
		got, err := nodetest.AppHash(ctx, c, h)
		if err != nil {
			t.Fatalf("node%d: %v", i, err)
		}
		if want == nil {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Fatalf("app hash after block %d: node%d %X, node%d %X", h, i, got, nodes[0], want)
		}
	}
	t.Logf("nodes %v agree on app hash %X after block %d", nodes, want, h)
}

// checkLedger verifies, with proofs from node 0 at height h, that every acknowledged bill
// is on the ledger once, every acknowledged issue has a number, and the numbers of the
// segment are unique and without gaps: number n belongs to exactly one bill, which
// carries n.
func (w *world) checkLedger(t *testing.T, ctx context.Context, h int64, a *acked) {
	t.Helper()
	c, err := w.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	get := func(key []byte) []byte {
		v, err := nodetest.Proven(ctx, c, key, h)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	seen := map[string]bool{}
	for _, id := range a.submitted {
		if seen[id] {
			t.Fatalf("bill %s acknowledged twice", id)
		}
		seen[id] = true
		if get(wire.BillKey(id)) == nil {
			t.Errorf("bill %s was acknowledged as committed but is not on the ledger", id)
		}
	}
	seg, err := wire.DecodeSegment(get(wire.SegmentKey(node.DemoHospital, node.DemoBillCode)))
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{} // number → bill id
	for n := seg.Start; n < seg.Next; n++ {
		number := fmt.Sprintf("%010d", n)
		id := get(wire.NumberKey(node.DemoBillCode, number))
		if id == nil {
			t.Fatalf("gap: number %s of segment %d..%d (next %d) belongs to no bill", number, seg.Start, seg.End, seg.Next)
		}
		b, err := wire.DecodeBillRecord(get(wire.BillKey(string(id))))
		if err != nil {
			t.Fatal(err)
		}
		if b.Number != number {
			t.Fatalf("number %s points at bill %s, which carries number %q", number, id, b.Number)
		}
		if prev, dup := owner[number]; dup {
			t.Fatalf("number %s given to %s and %s", number, prev, id)
		}
		owner[number] = string(id)
	}
	for _, id := range a.issued {
		b, err := wire.DecodeBillRecord(get(wire.BillKey(id)))
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != wire.StatusIssued || owner[b.Number] != id {
			t.Errorf("issue of %s was acknowledged, but it is %v with number %q", id, b.Status, b.Number)
		}
	}
	t.Logf("%d bills acknowledged, %d issued acknowledged, numbers %d..%d unique and gap-free",
		len(a.submitted), len(a.issued), seg.Start, seg.Next-1)
}

// advanced reports whether the node reaches height h within window.
func advanced(ctx context.Context, c nodetest.RPC, h int64, window time.Duration) bool {
	watch, stop := context.WithTimeout(ctx, window)
	defer stop()
	_, err := localnet.WaitHeight(watch, c, h)
	return err == nil
}

// TestKillRestartUnderLoad kills a validator with SIGKILL and restarts it 20 times, each
// node in turn (the light node's primary too), while desks submit, approve and issue.
func TestKillRestartUnderLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	w := newWorld(t, ctx, 3)
	seed, at := w.seedBill(t, ctx, "MZ-chaos-seed")
	rctx, stopReader := context.WithCancel(ctx)
	rd := w.reader(t, rctx, seed, at)
	lctx, stopLoad := context.WithCancel(ctx)
	a := &acked{}
	wg := w.load(lctx, t, a)

	const rounds = 20
	for r := range rounds {
		victim := r % w.Len()
		other, err := w.Client((victim + 1) % w.Len())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Kill(victim); err != nil {
			t.Fatal(err)
		}
		h, err := localnet.WaitHeight(ctx, other, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The network goes on with three of four.
		if _, err := localnet.WaitHeight(ctx, other, h+2); err != nil {
			t.Fatalf("round %d: no blocks with node%d down: %v", r, victim, err)
		}
		if err := w.Start(ctx, victim); err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		vc, err := w.Client(victim)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := localnet.WaitHeight(ctx, vc, h+2); err != nil {
			t.Fatalf("round %d: node%d does not catch up: %v\n%s", r, victim, err, w.Tail(victim, 3000))
		}
	}
	stopLoad()
	wg.Wait()
	top := w.sameHeight(t, ctx)
	stopReader()
	<-rd.done
	w.checkAgree(t, ctx, top, 0, 1, 2, 3)
	w.checkLedger(t, ctx, top, a)
	if len(a.issued) < rounds {
		t.Errorf("only %d bills issued under load in %d rounds: the load barely ran", len(a.issued), rounds)
	}
	t.Logf("light node: %d verified reads, %d failed (last: %v)", rd.ok.Load(), rd.failed.Load(), rd.lastErr.Load())
	rd.switched(t)
	if rd.failed.Load() > 0 || rd.ok.Load() == 0 {
		t.Errorf("light node: %d reads failed of %d; the first:\n%s", rd.failed.Load(), rd.ok.Load()+rd.failed.Load(), rd.failures())
	}
}

// TestOneDownTwoDown stops validators one then two at a time: with one of four down the
// chain commits; with two it halts without forking and resumes when one returns. The
// first to go is node 0, the light node's primary: reads must carry on through a witness.
func TestOneDownTwoDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w := newWorld(t, ctx, 1)
	seed, at := w.seedBill(t, ctx, "MZ-chaos-seed")
	rd := w.reader(t, ctx, seed, at)
	c1, err := w.Client(1)
	if err != nil {
		t.Fatal(err)
	}
	phase := func(name string, from int64) {
		t.Logf("%s: %d verified reads so far, %d failed (last %v)", name, rd.ok.Load(), rd.failed.Load(), rd.lastErr.Load())
	}

	// One down (the primary, killed): blocks and bills go on.
	if err := w.Kill(0); err != nil {
		t.Fatal(err)
	}
	h, _ := localnet.WaitHeight(ctx, c1, 0)
	if _, err := localnet.WaitHeight(ctx, c1, h+3); err != nil {
		t.Fatalf("one of four down: the chain stalled: %v", err)
	}
	s := w.cashiers[0]
	tx, _ := s.Tx(s.Submit(node.DemoHospital, node.DemoBillCode, "MZ-one-down", 512))
	if _, err := w.commitAny(ctx, 1, tx); err != nil {
		t.Fatalf("one of four down: %v", err)
	}
	failedBefore := rd.failed.Load()
	okBefore := rd.ok.Load()
	if err := localnet.Poll(ctx, func() bool { return rd.ok.Load() > okBefore+5 }); err != nil {
		t.Fatalf("light node reads stopped with its primary down: last error %v", rd.lastErr.Load())
	}
	phase("node0 killed", h)

	// Two down (node3 frozen too): no block may follow, and the two left must agree.
	if err := w.Pause(3); err != nil {
		t.Fatal(err)
	}
	defer w.Resume(3)
	// A block already voted on may still be committed; after it, nothing may be.
	paused, _ := localnet.WaitHeight(ctx, c1, 0)
	if advanced(ctx, c1, paused+2, 3*time.Second) {
		t.Fatalf("two of four down, yet blocks up to %d were committed after %d", paused+2, paused)
	}
	halted, _ := localnet.WaitHeight(ctx, c1, 0)
	if advanced(ctx, c1, halted+1, 6*time.Second) {
		t.Fatalf("two of four down, yet block %d was committed", halted+1)
	}
	w.checkAgree(t, ctx, halted-1, 1, 2)
	phase("node0 killed, node3 paused: halted", halted)
	readsHalted := rd.ok.Load()

	// One returns: the chain resumes.
	if err := w.Start(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := localnet.WaitHeight(ctx, c1, halted+3); err != nil {
		t.Fatalf("three of four back, but the chain does not resume past %d: %v", halted, err)
	}
	phase("node0 back", halted)
	if err := w.Resume(3); err != nil {
		t.Fatal(err)
	}
	top := w.sameHeight(t, ctx)
	w.checkAgree(t, ctx, top, 0, 1, 2, 3)
	if err := localnet.Poll(ctx, func() bool { return rd.ok.Load() > readsHalted+5 }); err != nil {
		t.Fatalf("light node reads did not resume: last error %v", rd.lastErr.Load())
	}
	phase("all back", top)
	rd.switched(t)
	if n := rd.failed.Load() - failedBefore; n > 0 || failedBefore > 0 {
		t.Errorf("light node: %d reads failed (%d before the halt); the first:\n%s", rd.failed.Load(), failedBefore, rd.failures())
	}
}
