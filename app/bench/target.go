package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/types"
	"github.com/spf13/viper"

	"ebill/app/bill"
	"ebill/app/ledger"
	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/app/store"
	"ebill/wallet"
)

// world is who the load acts as: the demo network's people plus one cashier key per
// concurrent cashier, so that no two cashiers contend for one sequence window.
type world struct {
	ids      node.DemoIdentities
	genesis  ledger.Genesis
	cashiers []*wallet.Identity
}

func newWorld(cashiers int) (*world, error) {
	g, ids, extra, err := localnet.DemoGenesis(cashiers, "bench-cashier")
	if err != nil {
		return nil, err
	}
	return &world{ids: ids, genesis: g, cashiers: extra}, nil
}

// payloadSize is the size of the sealed envelope of a k-item outpatient bill sealed to
// its hospital and its bureau, as a desk uploads it.
func payloadSize(items int) (int, error) {
	b := bill.Sample(bill.Outpatient, node.DemoHospital, "MZ-size", items, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	plain, err := b.Marshal()
	if err != nil {
		return 0, err
	}
	var keys [][]byte
	for range 2 {
		k, err := wallet.NewOrgKey()
		if err != nil {
			return 0, err
		}
		keys = append(keys, k.KEMPublic())
	}
	env, err := wallet.Seal(plain, wallet.AAD(node.DemoChainID, "size"), keys...)
	if err != nil {
		return 0, err
	}
	return len(env.Marshal()), nil
}

// billJobs signs n submissions per cashier ahead of the clock, as desks seal and sign
// before they upload. Every sampleEvery-th one (0: none) keeps its message for the life
// cycle.
func billJobs(chainID, org, code string, signers []*localnet.Signer, n, payload, sampleEvery int, run string) ([][]job, error) {
	jobs := make([][]job, len(signers))
	errs := make([]error, len(signers))
	var wg sync.WaitGroup
	for c, s := range signers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range n {
				m := s.Submit(org, code, fmt.Sprintf("MZ-%s-%d-%07d", run, c, k), payload)
				tx, err := s.Tx(m)
				if err != nil {
					errs[c] = err
					return
				}
				j := job{tx: tx}
				if sampleEvery > 0 && (k*len(signers)+c)%sampleEvery == 0 {
					j.submit = m
				}
				jobs[c] = append(jobs[c], j)
			}
		}()
	}
	wg.Wait()
	return jobs, errors.Join(errs...)
}

// kvJobs are kvstore transactions of the same count and sizes as like: key=value with a
// random hex value.
func kvJobs(like [][]job) [][]job {
	jobs := make([][]job, len(like))
	for c, js := range like {
		for k, j := range js {
			key := fmt.Sprintf("bench-%d-%07d=", c, k)
			val := make([]byte, (len(j.tx)-len(key)+1)/2)
			rand.Read(val)
			tx := append([]byte(key), hex.EncodeToString(val)...)[:max(len(j.tx), len(key)+1)]
			jobs[c] = append(jobs[c], job{tx: tx})
		}
	}
	return jobs
}

// network is a set of nodes started in this process for one run.
type network struct {
	rpcs  []string
	stops []func() error
	// bus is the event bus of the first node: the watcher takes committed blocks and
	// their results from it in this process, so that measuring costs no RPC encoding.
	bus *types.EventBus
}

// started is a node started in this process.
type started struct {
	stop func() error
	bus  *types.EventBus
}

func (n *network) stop() error {
	var errs []error
	for _, s := range n.stops {
		errs = append(errs, s())
	}
	return errors.Join(errs...)
}

// homes writes the homes of an n-validator network in dir with the same settings whatever
// app runs in it: node.InitHome for one, node.Testnet for more, on ports free now.
func homes(dir string, n int, g ledger.Genesis) ([]string, []string, error) {
	base, err := localnet.FreePorts(2 * n)
	if err != nil {
		return nil, nil, err
	}
	var hs, rpcs []string
	if n == 1 {
		h := filepath.Join(dir, "node0")
		err = node.InitHome(h, node.DemoChainID, g, node.HomeOptions{P2PPort: base, RPCPort: base + 1})
		hs = []string{h}
	} else {
		err = node.Testnet(dir, n, base, node.DemoChainID, g)
		for i := range n {
			hs = append(hs, filepath.Join(dir, fmt.Sprintf("node%d", i)))
		}
	}
	for i := range n {
		rpcs = append(rpcs, fmt.Sprintf("http://127.0.0.1:%d", base+2*i+1))
	}
	return hs, rpcs, err
}

// startNodes starts every home concurrently (a testnet node's first block needs the
// others) with start, and waits for block 1 everywhere.
func startNodes(ctx context.Context, hs, rpcs []string, start func(ctx context.Context, home string) (started, error)) (*network, error) {
	n := &network{rpcs: rpcs}
	nodes := make([]started, len(hs))
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i], errs[i] = start(ctx, h)
		}()
	}
	wg.Wait()
	for _, s := range nodes {
		if s.stop != nil {
			n.stops = append(n.stops, s.stop)
		}
	}
	n.bus = nodes[0].bus
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(err, n.stop())
	}
	for _, addr := range rpcs {
		c, err := localnet.Client(addr)
		if err == nil {
			_, err = localnet.WaitHeight(ctx, c, 1)
		}
		if err != nil {
			return nil, errors.Join(err, n.stop())
		}
	}
	return n, nil
}

// startProcs runs bin in every home as a process of its own (args after the home), and
// waits for block 1 everywhere. It returns the network and the pids of its nodes.
func startProcs(ctx context.Context, bin string, hs, rpcs []string, args ...string) (*network, []int, error) {
	n := &network{rpcs: rpcs}
	var pids []int
	for _, h := range hs {
		p, err := localnet.StartProcess(bin, filepath.Join(h, "node.log"), nil, append([]string{"--home", h}, args...)...)
		if err != nil {
			return nil, nil, errors.Join(err, n.stop())
		}
		n.stops = append(n.stops, p.Kill)
		pids = append(pids, p.Cmd.Process.Pid)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for i, addr := range rpcs {
		c, err := localnet.Client(addr)
		if err == nil {
			_, err = localnet.WaitHeight(wctx, c, 1)
		}
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("%s: %w", hs[i], err), n.stop())
		}
	}
	return n, pids, nil
}

// BuildBinaries builds the node commands the multi-validator runs start as processes into
// dir: ebilld, and kvnode (the kvstore baseline). It needs the go command and this
// module's source (the working directory inside it); failing that it takes commands of
// those names next to this program's executable.
func BuildBinaries(dir string) (ebilld, kvnode string, err error) {
	build := func(pkg string) (string, error) {
		bin, err := localnet.Build(dir, pkg)
		if err == nil {
			return bin, nil
		}
		if exe, xerr := os.Executable(); xerr == nil {
			near := filepath.Join(filepath.Dir(exe), filepath.Base(pkg))
			if _, serr := os.Stat(near); serr == nil {
				return near, nil
			}
		}
		return "", err
	}
	if ebilld, err = build("ebill/cmd/ebilld"); err != nil {
		return "", "", err
	}
	if kvnode, err = build("ebill/app/bench/kvnode"); err != nil {
		return "", "", err
	}
	return ebilld, kvnode, nil
}

func startLedger(ctx context.Context, home string) (started, error) {
	n, err := node.Start(ctx, home, node.Options{})
	if err != nil {
		return started{}, err
	}
	return started{stop: n.Stop, bus: n.EventBus()}, nil
}

// RunKVStoreNode runs CometBFT's kvstore example app as a node in home until ctx ends:
// the body of the kvnode command, the baseline's validator process.
func RunKVStoreNode(ctx context.Context, home string) error {
	s, err := startKVStore(ctx, home)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return s.stop()
}

// startKVStore runs CometBFT's kvstore example app in home with the home's config: the
// same consensus timeouts, mempool, indexer, databases and ABCI connection locking as the
// ledger's node, so only the application differs.
func startKVStore(ctx context.Context, home string) (started, error) {
	c, err := loadConfig(home)
	if err != nil {
		return started{}, err
	}
	nodeKey, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return started{}, fmt.Errorf("kvstore node in %q: %w", home, err)
	}
	pv := privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	kvdb, err := store.Open("kvstore", filepath.Join(c.DBDir(), "kvstore"))
	if err != nil {
		return started{}, err
	}
	app := kvstore.NewApplication(kvdb)
	var txIndex dbm.DB
	var mu sync.Mutex
	provider := func(dc *cfg.DBContext) (dbm.DB, error) {
		db, err := node.DBProvider(dc)
		if err == nil && dc.ID == "tx_index" {
			db = node.GuardClose(db)
			mu.Lock()
			txIndex = db
			mu.Unlock()
		}
		return db, err
	}
	n, err := cmtnode.NewNode(ctx, c, pv, nodeKey, proxy.NewConnSyncLocalClientCreator(app),
		cmtnode.DefaultGenesisDocProviderFunc(c), provider, cmtnode.DefaultMetricsProvider(c.Instrumentation), log.NewNopLogger())
	if err == nil {
		err = n.Start()
	}
	if err != nil {
		return started{}, errors.Join(fmt.Errorf("kvstore node in %q: %w", home, err), app.Close())
	}
	return started{bus: n.EventBus(), stop: func() error {
		err := n.Stop()
		n.Wait()
		// CometBFT leaves the tx index open (PITFALLS.md); close it so the process can go on.
		mu.Lock()
		defer mu.Unlock()
		if txIndex != nil {
			err = errors.Join(err, txIndex.Close())
		}
		return errors.Join(err, app.Close())
	}}, nil
}

// loadConfig reads a home's config.toml as node.Start does.
func loadConfig(home string) (*cfg.Config, error) {
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	v := viper.New()
	v.SetConfigFile(filepath.Join(home, "config", "config.toml"))
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read config in %q: %w", home, err)
	}
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("read config in %q: %w", home, err)
	}
	c.SetRoot(home)
	return c, c.ValidateBasic()
}

func mkdirTemp(parent, pattern string) (string, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return "", err
		}
	}
	return os.MkdirTemp(parent, pattern)
}
