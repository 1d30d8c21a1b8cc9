package service

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cometbft/cometbft/libs/log"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"

	"ebill/app/node"
	"ebill/internal/httplimit"
	"ebill/lightclient"
	"ebill/wallet"
)

// Options say how to reach a network.
type Options struct {
	// Network names the chain, the trust root and the RPC addresses of the primary and its
	// witnesses; transactions go to the primary and fail over to the witnesses.
	Network node.NetworkFile
	// Dir keeps the light node's verified headers.
	Dir string
	// Timeout bounds each network step (a read, a broadcast); 0 means 15 s. Waiting for a
	// commit is bounded by four of them.
	Timeout time.Duration
	// Logger receives the light node's log; nil discards it.
	Logger log.Logger
}

const defaultTimeout = 15 * time.Second

// Network is a connection to one ledger: its light node, RPC clients and commit watcher,
// shared by every Desk made with As.
type Network struct {
	file    node.NetworkFile
	timeout time.Duration
	lc      *lightclient.Client
	nodes   []*rpchttp.HTTP // the primary first, then the witnesses
	addrs   []string
	// hc carries broadcasts (node.BroadcastTxSync: the transaction in hex in a GET, which
	// costs the node a fraction of a JSON-RPC POST's decoding). It keeps enough idle
	// connections for a batch's bills in flight, so they are not redialled per bill.
	hc    *http.Client
	watch *watcher
	node  *node.Node // the embedded node, if this Network runs it

	headerWaiter sync.Mutex // held by the one provable call that asks for new headers

	stop context.CancelFunc
	done chan struct{}
}

// Connect starts a light node for opts.Network in opts.Dir and connects to its nodes.
func Connect(ctx context.Context, opts Options) (*Network, error) {
	if err := opts.Network.Validate(); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	n := &Network{file: opts.Network, timeout: opts.Timeout,
		hc: &http.Client{Transport: &httplimit.Transport{Base: &http.Transport{MaxIdleConnsPerHost: batchWorkers}}}}
	if n.timeout <= 0 {
		n.timeout = defaultTimeout
	}
	for _, addr := range append([]string{opts.Network.Primary}, opts.Network.Witnesses...) {
		if slices.Contains(n.addrs, addr) {
			continue
		}
		c, err := httplimit.RPC(addr)
		if err != nil {
			return nil, fmt.Errorf("connect: RPC address %q: %w", addr, err)
		}
		n.nodes, n.addrs = append(n.nodes, c), append(n.addrs, addr)
	}
	hash, err := hex.DecodeString(opts.Network.TrustHash)
	if err != nil {
		return nil, fmt.Errorf("connect: trust hash %q: %w", opts.Network.TrustHash, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 4*n.timeout)
	defer cancel()
	n.lc, err = lightclient.New(sctx, lightclient.Config{
		ChainID: opts.Network.ChainID, TrustHeight: opts.Network.TrustHeight, TrustHash: hash,
		Primary: opts.Network.Primary, Witnesses: opts.Network.Witnesses,
	}, opts.Dir, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", opts.Network.ChainID, lightErr(err))
	}
	// The genesis accounts are provable once header 2 is verified; a young chain gets there
	// within a block or two.
	if _, err := n.lc.WaitHeight(sctx, 1); err != nil {
		return nil, errors.Join(fmt.Errorf("connect to %s: %w", opts.Network.ChainID, lightErr(err)), n.lc.Close())
	}
	// The watcher starts from the current height, so no waiter can precede its first scan.
	n.watch = &watcher{waiting: map[[32]byte]chan committed{}}
	if n.watch.last, err = n.height(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connect to %s: %w", opts.Network.ChainID, err), n.lc.Close())
	}
	var wctx context.Context
	wctx, n.stop = context.WithCancel(context.Background())
	n.done = make(chan struct{})
	go n.watchCommits(wctx)
	return n, nil
}

// StartEmbedded runs the embedded demo network in dir: on first use it creates the demo
// identities in store (node.DemoAdminName, node.DemoCashierName, node.DemoClerkName; ones
// already there are reused), initialises the single in-process node with the demo genesis
// in dir/node and writes dir/network.json; later runs only start it. Close stops the node.
func StartEmbedded(ctx context.Context, dir string, store wallet.Store) (*Network, error) {
	home := filepath.Join(dir, "node")
	nd, err := node.Start(ctx, home, node.Options{})
	if errors.Is(err, node.ErrNoHome) {
		var ids node.DemoIdentities
		if ids, err = demoIdentities(ctx, store); err != nil {
			return nil, fmt.Errorf("embedded network: %w", err)
		}
		g, err := node.DemoGenesis(ids)
		if err != nil {
			return nil, fmt.Errorf("embedded network: %w", err)
		}
		if err := node.InitHome(home, node.DemoChainID, g, node.HomeOptions{}); err != nil {
			return nil, fmt.Errorf("embedded network: %w", err)
		}
		nd, err = node.Start(ctx, home, node.Options{})
	}
	if err != nil {
		return nil, fmt.Errorf("embedded network: %w", err)
	}
	n, err := connectEmbedded(ctx, dir, nd)
	if err != nil {
		return nil, errors.Join(err, nd.Stop())
	}
	return n, nil
}

func connectEmbedded(ctx context.Context, dir string, nd *node.Node) (*Network, error) {
	// The RPC port is picked afresh at each start, so the file is rewritten every time.
	nf, err := nd.NetworkFile(ctx)
	if err != nil {
		return nil, fmt.Errorf("embedded network: %w", err)
	}
	if err := node.WriteNetworkFileAtomic(filepath.Join(dir, "network.json"), nf); err != nil {
		return nil, fmt.Errorf("embedded network: %w", err)
	}
	n, err := Connect(ctx, Options{Network: nf, Dir: filepath.Join(dir, "light")})
	if err != nil {
		return nil, err
	}
	n.node = nd
	return n, nil
}

// demoIdentities loads the three demo identities from store, or makes and saves them when
// none is there.
func demoIdentities(ctx context.Context, store wallet.Store) (node.DemoIdentities, error) {
	var ids node.DemoIdentities
	var missing []string
	for _, x := range []struct {
		id   **wallet.Identity
		name string
	}{{&ids.Admin, node.DemoAdminName}, {&ids.Cashier, node.DemoCashierName}, {&ids.Clerk, node.DemoClerkName}} {
		id, err := store.Load(ctx, x.name)
		switch {
		case errors.Is(err, wallet.ErrNotFound):
			missing = append(missing, x.name)
		case err != nil:
			return ids, err
		}
		*x.id = id
	}
	switch len(missing) {
	case 0:
		return ids, nil
	case 3:
		ids, err := node.NewDemoIdentities()
		if err != nil {
			return ids, err
		}
		return ids, ids.Save(ctx, store)
	}
	return ids, fmt.Errorf("the store holds only some demo identities: %s missing", strings.Join(missing, ", "))
}

// ChainID is the chain of the network.
func (n *Network) ChainID() string { return n.file.ChainID }

// File is the network file the Network was started from (for the embedded node, the one
// written to dir/network.json).
func (n *Network) File() node.NetworkFile { return n.file }

// Status reports the light node's latest verified header, for a status bar.
func (n *Network) Status() lightclient.Status { return n.lc.Status() }

// Close stops the light node and, for the embedded network, the node.
func (n *Network) Close() error {
	n.stop()
	<-n.done
	n.hc.CloseIdleConnections()
	err := n.lc.Close()
	if n.node != nil {
		err = errors.Join(err, n.node.Stop())
	}
	return err
}

// each runs call against the primary, then the witnesses, moving on only when a node cannot
// be reached; an RPC error answered by a node is that node's answer. Each call is bounded
// by the step timeout.
func (n *Network) each(ctx context.Context, call func(ctx context.Context, c rpcclient.Client, addr string) error) error {
	var errs []error
	for i, c := range n.nodes {
		cctx, cancel := context.WithTimeout(ctx, n.timeout)
		err := call(cctx, c, n.addrs[i])
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		}
		var rpcErr *rpctypes.RPCError
		if errors.As(err, &rpcErr) {
			return fmt.Errorf("node %s: %w", n.addrs[i], err)
		}
		errs = append(errs, fmt.Errorf("node %s: %w", n.addrs[i], err))
	}
	return fmt.Errorf("%w: %w", ErrNetworkDown, errors.Join(errs...))
}

// broadcast hands tx to the mempool of the first node that answers and returns CheckTx's
// verdict.
func (n *Network) broadcast(ctx context.Context, tx []byte) (*ctypes.ResultBroadcastTx, error) {
	var res *ctypes.ResultBroadcastTx
	err := n.each(ctx, func(ctx context.Context, _ rpcclient.Client, addr string) (err error) {
		res, err = node.BroadcastTxSync(ctx, n.hc, addr, tx)
		if err == nil {
			return nil
		}
		// A node that took the tx before its answer was lost knows it already: that is
		// acceptance, and the commit watcher will see it.
		if strings.Contains(err.Error(), "tx already exists in cache") {
			res, err = &ctypes.ResultBroadcastTx{}, nil
		} else if r, ok := checkTxRefusal(err); ok {
			res, err = r, nil
		}
		return err
	})
	return res, err
}

// invalidTx matches the error CometBFT v1 returns from broadcast_tx_sync when CheckTx
// refuses a transaction (mempool.ErrInvalidTx, flattened into an RPC error message).
var invalidTx = regexp.MustCompile(`is invalid: code=(\d+), data=([0-9A-F]*), log='(.*)', codespace='[^']*'`)

// checkTxRefusal recovers CheckTx's answer from such an error.
func checkTxRefusal(err error) (*ctypes.ResultBroadcastTx, bool) {
	m := invalidTx.FindStringSubmatch(err.Error())
	if m == nil {
		return nil, false
	}
	code, err1 := strconv.ParseUint(m[1], 10, 32)
	data, err2 := hex.DecodeString(m[2])
	if err1 != nil || err2 != nil || code == 0 {
		return nil, false
	}
	return &ctypes.ResultBroadcastTx{Code: uint32(code), Data: data, Log: m[3]}, true
}

// committed is a transaction's outcome in a block, as a node reports it. The desk trusts it
// only to know when to read: what the transaction did is then read with a proof.
type committed struct {
	height int64
	result node.TxOutcome
}

// watcher hands the results of committed transactions to those waiting for them. Fetching
// each new block once serves every waiter, where polling per transaction would cost a
// request per bill per poll.
type watcher struct {
	mu      sync.Mutex
	waiting map[[32]byte]chan committed
	last    int64 // the last height whose transactions were handed out
}

// register must come before the transaction is broadcast, so that its block cannot be
// scanned before the waiter exists.
func (w *watcher) register(hash [32]byte) chan committed {
	ch := make(chan committed, 1)
	w.mu.Lock()
	w.waiting[hash] = ch
	w.mu.Unlock()
	return ch
}

func (w *watcher) cancel(hash [32]byte) {
	w.mu.Lock()
	delete(w.waiting, hash)
	w.mu.Unlock()
}

const watchInterval = 50 * time.Millisecond

func (n *Network) watchCommits(ctx context.Context) {
	defer close(n.done)
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Errors only delay the waiters, who have their own deadlines.
		_ = n.scan(ctx)
	}
}

// scan hands out the results of the blocks committed since the last scan.
func (n *Network) scan(ctx context.Context) error {
	latest, err := n.height(ctx)
	if err != nil {
		return err
	}
	w := n.watch
	w.mu.Lock()
	if len(w.waiting) == 0 {
		// Nobody waits for a transaction in these blocks: any waiter registered from now on
		// broadcasts after they were committed.
		w.last = max(w.last, latest)
		w.mu.Unlock()
		return nil
	}
	from := w.last + 1
	w.mu.Unlock()
	for h := from; h <= latest; h++ {
		var txs []node.TxOutcome
		err := n.each(ctx, func(ctx context.Context, _ rpcclient.Client, addr string) (err error) {
			txs, err = node.CommittedTxs(ctx, n.hc, addr, h)
			return err
		})
		if err != nil {
			return err
		}
		w.mu.Lock()
		for _, tx := range txs {
			if ch, ok := w.waiting[tx.Hash]; ok {
				ch <- committed{height: h, result: tx}
				delete(w.waiting, tx.Hash)
			}
		}
		w.last = h
		w.mu.Unlock()
	}
	return nil
}

// height is the latest committed height a node reports.
func (n *Network) height(ctx context.Context) (int64, error) {
	var st *ctypes.ResultStatus
	err := n.each(ctx, func(ctx context.Context, c rpcclient.Client, _ string) (err error) {
		st, err = c.Status(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// latest is the state the latest verified header proves, for reads that must agree.
func (n *Network) latest(ctx context.Context) (*lightclient.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	st, err := n.lc.Latest(ctx)
	return st, lightErr(err)
}

// lightErr maps the light node's errors onto the service's.
func lightErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, lightclient.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, lightclient.ErrUnavailable):
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %w", ErrTimeout, err)
		}
		return fmt.Errorf("%w: %w", ErrNetworkDown, err)
	// The two whose cure differs come first: a light node error never wraps more than one
	// sentinel, but the service's must not either.
	case errors.Is(err, lightclient.ErrTrustExpired):
		return fmt.Errorf("%w: %w", ErrTrustExpired, err)
	case errors.Is(err, lightclient.ErrAttack):
		return fmt.Errorf("%w: %w", ErrAttack, err)
	case errors.Is(err, lightclient.ErrVerification), errors.Is(err, lightclient.ErrClockDrift):
		return fmt.Errorf("%w: %w", ErrVerification, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}
