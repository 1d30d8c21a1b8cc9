package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/types"
	"github.com/spf13/viper"

	"ebill/app/ledger"
	"ebill/app/store"
)

// ErrNoHome is returned by Start for a directory that InitHome or Testnet did not prepare.
var ErrNoHome = errors.New("not a node home")

// Options tune a started node; the zero value is a quiet node without metrics.
type Options struct {
	Logger log.Logger // CometBFT and ledger logs; none when nil
	// MetricsAddr, when set, serves Prometheus metrics there (host:port): CometBFT's and the
	// ledger's bill counters. Metrics register globally, so only one node per process may
	// have them.
	MetricsAddr string
	// Archive keeps every version of the ledger's state; otherwise the latest
	// ledger.DefaultKeepVersions are kept.
	Archive bool
}

// Node is a running validator. Stop it before starting another on the same home.
type Node struct {
	cmt     *cmtnode.Node
	app     *ledger.App
	txIndex dbm.DB
	home    string
	rpcAddr string

	stopOnce sync.Once
	stopErr  error
}

// Start opens the node in home and starts it in this process. ctx bounds start-up only
// (replaying blocks after a crash included); the node runs until Stop.
//
// A node that can make blocks alone (the embedded one) returns once block 1 is committed:
// the ledger checks transactions against committed state, so the genesis accounts exist
// only from then on. A node of a larger network returns at once; its first block needs
// the others.
func Start(ctx context.Context, home string, opts Options) (*Node, error) {
	c, err := loadConfig(home)
	if err != nil {
		return nil, err
	}
	for _, laddr := range []*string{&c.RPC.ListenAddress, &c.P2P.ListenAddress} {
		if *laddr, err = resolvePort(*laddr); err != nil {
			return nil, fmt.Errorf("start node in %q: %w", home, err)
		}
	}
	if opts.MetricsAddr != "" {
		c.Instrumentation.Prometheus = true
		c.Instrumentation.PrometheusListenAddr = opts.MetricsAddr
	}
	logger := opts.Logger
	if logger == nil {
		logger = log.NewNopLogger()
	}
	nodeKey, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("start node in %q: %w", home, err)
	}
	// LoadFilePV exits the process on a missing file; loadConfig checked them.
	pv := privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())

	app, err := openLedger(filepath.Join(c.DBDir(), "ledger"), opts, logger.With("module", "ledger"))
	if err != nil {
		return nil, fmt.Errorf("start node in %q: open ledger: %w", home, err)
	}
	dbs := &dbTracker{}
	// One lock per ABCI connection rather than one for all: the ledger checks transactions
	// and answers queries from committed versions while a block executes, so desks are
	// not held up for the length of a block.
	cn, err := cmtnode.NewNode(ctx, c, pv, nodeKey, proxy.NewConnSyncLocalClientCreator(app),
		cmtnode.DefaultGenesisDocProviderFunc(c), dbs.provider,
		cmtnode.DefaultMetricsProvider(c.Instrumentation), logger)
	if err == nil {
		err = cn.Start()
	}
	if err != nil {
		// Without a started node nothing else closes the databases, and their locks would
		// keep the next Start out.
		errs := []error{fmt.Errorf("start node in %q: %w", home, err), dbs.closeAll(), app.Close()}
		return nil, errors.Join(errs...)
	}
	if err := waitFirstBlock(ctx, cn, pv.Key.PubKey.Address()); err != nil {
		cn.Stop()
		cn.Wait()
		return nil, errors.Join(fmt.Errorf("start node in %q: %w", home, err), closeDB(dbs.get("tx_index")), app.Close())
	}
	return &Node{
		cmt:     cn,
		app:     app,
		txIndex: dbs.get("tx_index"),
		home:    home,
		rpcAddr: clientAddr(c.RPC.ListenAddress),
	}, nil
}

// waitFirstBlock waits for block 1 if the validator with this address holds more than
// two thirds of the genesis voting power.
func waitFirstBlock(ctx context.Context, cn *cmtnode.Node, self []byte) error {
	var total, own int64
	for _, v := range cn.GenesisDoc().Validators {
		total += v.Power
		if bytes.Equal(v.Address, self) {
			own += v.Power
		}
	}
	if 3*own <= 2*total {
		return nil
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for cn.BlockStore().Height() < 1 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for block 1: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

func closeDB(db dbm.DB) error {
	if db == nil {
		return nil
	}
	return db.Close()
}

// RPCAddr is the node's CometBFT RPC endpoint, http://127.0.0.1:port.
func (n *Node) RPCAddr() string { return n.rpcAddr }

// EventBus is the node's event bus: in-process subscribers (a bench's watcher) receive
// committed blocks with their results without going through the RPC.
func (n *Node) EventBus() *types.EventBus { return n.cmt.EventBus() }

// ChainID is the chain the node validates.
func (n *Node) ChainID() string { return n.cmt.GenesisDoc().ChainID }

// Home is the directory the node runs in.
func (n *Node) Home() string { return n.home }

// Stop stops consensus and RPC and closes every database, so that the same home can be
// started again in this process. RPC clients made before Stop must not be reused.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		var errs []error
		if err := n.cmt.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop node: %w", err))
		}
		n.cmt.Wait()
		// CometBFT closes its other stores in OnStop but not the tx index.
		if err := closeDB(n.txIndex); err != nil {
			errs = append(errs, fmt.Errorf("stop node: close tx index: %w", err))
		}
		if err := n.app.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop node: close ledger: %w", err))
		}
		n.stopErr = errors.Join(errs...)
	})
	return n.stopErr
}

// NetworkFile describes the node's network with the node's latest committed header as
// the trust root, waiting for the first block if need be. A testnet node names node 0 as
// primary and the others as witnesses; a lone node names itself as both.
func (n *Node) NetworkFile(ctx context.Context) (NetworkFile, error) {
	var f NetworkFile
	data, err := os.ReadFile(filepath.Join(n.home, "config", networkTemplate))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return f, fmt.Errorf("network file: %w", err)
	}
	if err == nil {
		if err := json.Unmarshal(data, &f); err != nil {
			return f, fmt.Errorf("network file: template %q: %w", networkTemplate, err)
		}
	}
	if f.Primary == "" {
		f.Primary = n.rpcAddr
		f.Witnesses = []string{n.rpcAddr}
	}
	if f.ChainID == "" {
		f.ChainID = n.ChainID()
	}
	if err := f.FillTrust(ctx, n.rpcAddr); err != nil {
		return f, err
	}
	return f, f.Validate()
}

func loadConfig(home string) (*cfg.Config, error) {
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	file := filepath.Join(home, "config", "config.toml")
	for _, need := range []string{file, c.GenesisFile(), c.NodeKeyFile(), c.PrivValidatorKeyFile(), c.PrivValidatorStateFile()} {
		if _, err := os.Stat(need); err != nil {
			return nil, fmt.Errorf("%w: %q: %w (run ebilld init or ebilld testnet first)", ErrNoHome, home, err)
		}
	}
	v := viper.New()
	v.SetConfigFile(file)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read config %q: %w", file, err)
	}
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("read config %q: %w", file, err)
	}
	c.SetRoot(home)
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("config %q: %w", file, err)
	}
	return c, nil
}

// resolvePort replaces port 0 in a tcp://host:port listen address with a port that is
// free now. CometBFT does not report the port it was given for :0, and clients need it.
func resolvePort(laddr string) (string, error) {
	hostport := strings.TrimPrefix(laddr, "tcp://")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", laddr, err)
	}
	if port != "0" {
		return laddr, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String(), nil
}

// clientAddr is the URL a local client reaches a tcp://host:port listener at: a node
// listening on every interface is reached on loopback.
func clientAddr(laddr string) string {
	host, port, err := net.SplitHostPort(strings.TrimPrefix(laddr, "tcp://"))
	if err != nil {
		return "http://" + strings.TrimPrefix(laddr, "tcp://")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// DBProvider opens CometBFT's databases with the options of package store when the home's
// config names Pebble (the default), else as CometBFT does.
func DBProvider(ctx *cfg.DBContext) (dbm.DB, error) {
	if dbm.BackendType(ctx.Config.DBBackend) != dbm.PebbleDBBackend {
		return cfg.DefaultDBProvider(ctx)
	}
	return store.Open(ctx.ID, ctx.Config.DBDir())
}

// dbTracker remembers the databases CometBFT opens. A stopping node closes all but the
// tx index; a node that never started closes none.
type dbTracker struct {
	mu  sync.Mutex
	dbs map[string]dbm.DB
}

func (t *dbTracker) provider(ctx *cfg.DBContext) (dbm.DB, error) {
	db, err := DBProvider(ctx)
	if err != nil {
		return nil, err
	}
	if ctx.ID == "tx_index" {
		db = GuardClose(db)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dbs == nil {
		t.dbs = make(map[string]dbm.DB)
	}
	t.dbs[ctx.ID] = db
	return db, nil
}

func (t *dbTracker) get(id string) dbm.DB {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dbs[id]
}

func (t *dbTracker) closeAll() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for id, db := range t.dbs {
		if err := db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s database: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
