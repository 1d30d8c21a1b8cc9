// Package bench measures the ledger under load: bills committed per second, the latency
// from submission to commit and to a verified issued bill, and the CPU and memory of the
// nodes, beside CometBFT's kvstore example app run with the same node settings and the same
// load shape, so every figure comes with the yardstick it should be read against.
//
//	r, err := bench.Run(ctx, bench.Config{Duration: 20 * time.Second, Cashiers: 8, Items: 6, Baseline: true})
//	r.WriteTable(os.Stdout)
//	r.WriteChart(png)
//
// The load drives the ledger, not the desk: it signs raw transactions rather than going
// through app/service, and every report lists in Skipped (table and JSON) the desk steps
// it leaves out — validation, sealing, the desk's proven reads, the clerk's decryption and
// checks — so its latencies are the ledger's share of a bill's way, not a cashier's wait.
//
// The load: Cashiers goroutines, each with its own key and RPC connection, send bill
// submissions signed ahead of the clock (a desk seals and signs before it uploads) through
// broadcast_tx_sync, as fast as the mempool takes them or at Rate. A watcher reads every
// committed block and matches its transactions to what was sent: a bill counts as
// committed when a block holds it with code 0. Every SampleEvery-th bill is then approved
// by the bureau's clerk, issued, and read back through a light node with its proof: the
// submit→verified-issued latency.
package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/internal/httplimit"
	"ebill/lightclient"
	"ebill/wallet"
)

// Config is one bench run.
type Config struct {
	// Duration bounds the sending; Count, when set, is the number of bills instead.
	Duration time.Duration
	Count    int
	Cashiers int // concurrent cashiers; default 8
	Items    int // items per bill, which sets the payload size; default 6
	// Rate caps the bills sent per second over all cashiers; 0 sends as fast as the
	// mempool takes them (saturation).
	Rate float64
	// Validators on loopback, each with its own home and ports. 1, the default, is the
	// embedded node, run in this process; more run as processes of their own (a
	// CometBFT gossip routine outlives an in-process node's Stop and reads its closed
	// block store): `ebilld start` through localnet.Cluster, and for the baseline kvnode.
	Validators int
	// Ebilld and KVNode are the commands of those processes; empty: BuildBinaries makes
	// them in the run's directory.
	Ebilld, KVNode string
	// SampleEvery: every n-th bill is also approved, issued and read back verified;
	// default 20, negative for none.
	SampleEvery int
	// Baseline runs the kvstore example app after the ledger, same settings and load.
	Baseline bool
	// Submit is how cashiers hand transactions to a node: SubmitURI (the default, as
	// app/service does) or SubmitJSONRPC (rpcclient's JSON-RPC POST, base64 in JSON).
	Submit string
	// Remote drives an existing network instead of starting nodes.
	Remote *Remote
	// Dir holds the node homes (a temporary directory under it, removed afterwards).
	Dir string
	// Drain bounds the wait for sent transactions after the sending stops; default 60 s.
	Drain time.Duration
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}

// Remote is a network the bench does not start: a network file and the identities that
// act on it, a cashier of Org and, for the issue life cycle, a clerk of its bureau.
type Remote struct {
	File    node.NetworkFile
	Cashier *wallet.Identity
	Clerk   *wallet.Identity // nil: no life cycle
	Code    string           // bill code of the org's segment
}

// The ways Config.Submit names.
const (
	SubmitURI     = "uri"
	SubmitJSONRPC = "jsonrpc"
)

func (c *Config) defaults() error {
	if c.Cashiers == 0 {
		c.Cashiers = 8
	}
	if c.Items == 0 {
		c.Items = 6
	}
	if c.Validators == 0 {
		c.Validators = 1
	}
	if c.SampleEvery == 0 {
		c.SampleEvery = 20
	}
	if c.Drain == 0 {
		c.Drain = time.Minute
	}
	if c.Submit == "" {
		c.Submit = SubmitURI
	}
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
	switch {
	case c.Count <= 0 && c.Duration <= 0:
		return errors.New("bench: give a duration or a count")
	case c.Cashiers < 1 || c.Cashiers > 256:
		return fmt.Errorf("bench: %d cashiers: want 1 to 256", c.Cashiers)
	case c.Items < 1 || c.Items > 999:
		return fmt.Errorf("bench: %d items: want 1 to 999", c.Items)
	case c.Validators < 1 || c.Validators > 7:
		return fmt.Errorf("bench: %d validators: want 1 to 7", c.Validators)
	case c.Submit != SubmitURI && c.Submit != SubmitJSONRPC:
		return fmt.Errorf("bench: submit %q: want %q or %q", c.Submit, SubmitURI, SubmitJSONRPC)
	case c.Rate < 0:
		return fmt.Errorf("bench: rate %v: want ≥ 0", c.Rate)
	case c.Remote != nil && c.Baseline:
		return errors.New("bench: the kvstore baseline needs nodes the bench starts, not a network file")
	}
	return nil
}

// skipped is what the load leaves out of the desk path (service.Desk), for the report.
func skipped(cfg Config) []string {
	s := []string{
		"bill validation and the payee stamp (Desk.Submit checks each bill): the load sends no bill",
		"sealing the bill (DEFLATE + AES-GCM + HPKE to hospital and bureau): random bytes of a sealed " +
			"envelope's size stand in as the payload, with a commitment over them",
		"signing at upload time: every submission is signed before the clock starts, so its cost " +
			"is in no latency",
		"the desk's proven reads around a submission (org keys before, the bill's record after): " +
			"a bill counts as committed when a block holds it",
	}
	if cfg.SampleEvery < 0 {
		return append(s, "approval, issue and the verified read: no bill is sampled (sample-every < 0)")
	}
	return append(s, "the clerk's review of sampled bills: approved without decrypting the payload "+
		"or running the automatic checks",
		"after issue: the verified read checks the record's proof but neither decrypts the payload "+
			"nor renders the PDF")
}

// perCashier is how many bills each cashier signs ahead: the count, or for a timed run
// enough for the rate, or for saturation more than the node can take in that time.
func (c *Config) perCashier() int {
	const saturation = 2500 // bills/s, above what this machine commits
	total := float64(c.Count)
	if c.Count <= 0 {
		rate := c.Rate
		if rate == 0 {
			rate = saturation
		}
		total = rate*c.Duration.Seconds() + float64(c.Cashiers)
	}
	return max(1, int(total+float64(c.Cashiers)-1)/c.Cashiers)
}

// Result is what one target did under the load.
type Result struct {
	App        string  `json:"app"` // "ebill" or "kvstore"
	Validators int     `json:"validators"`
	TxBytes    int     `json:"tx_bytes"` // mean transaction size
	Sent       int64   `json:"sent"`
	Committed  int     `json:"committed"`
	Refused    int64   `json:"refused"`
	Seconds    float64 `json:"seconds"` // first send to last commit
	TxPerS     float64 `json:"tx_per_s"`
	// BlockMS is the time from the first send to the last commit over the blocks committed
	// in it: the unit of the latency target (p99 under two block intervals).
	BlockMS float64 `json:"block_interval_ms"`
	Blocks  int     `json:"blocks"`
	// SubmitCommitted is send → seen in a committed block; SubmitIssued send → issued
	// bill read back through the light node (sampled bills).
	SubmitCommitted Latency  `json:"submit_committed"`
	SubmitIssued    *Latency `json:"submit_issued,omitempty"`
	IssueFailed     int      `json:"issue_failed,omitempty"`
	// CPU and RSS of the processes that ran the nodes: the validator processes, or this
	// one for the embedded node (the load's own work is then included).
	CPUSeconds float64  `json:"cpu_s,omitempty"`
	CPUCores   float64  `json:"cpu_cores,omitempty"`
	CPUPerTxUS float64  `json:"cpu_us_per_tx,omitempty"`
	RSSPeakMB  float64  `json:"rss_peak_mb,omitempty"`
	Series     []Second `json:"series"`
	LastError  string   `json:"last_error,omitempty"`
}

// Report is a bench run: the ledger and, with the baseline, kvstore.
type Report struct {
	Machine        Machine  `json:"machine"`
	Cashiers       int      `json:"cashiers"`
	Items          int      `json:"items"`
	Rate           float64  `json:"rate,omitempty"`
	BillsPerS      float64  `json:"bills_per_s"`
	KVStoreTxPerS  float64  `json:"kvstore_tx_per_s,omitempty"`
	RatioToKVStore float64  `json:"ratio_to_kvstore,omitempty"`
	Ebill          *Result  `json:"ebill"`
	KVStore        *Result  `json:"kvstore,omitempty"`
	Errors         []string `json:"errors,omitempty"`
	// Skipped names each step of the desk path (app/service) the load does not take, so
	// that no figure is read as more than it measures.
	Skipped []string `json:"skipped"`
}

// Machine says where the figures were taken.
type Machine struct {
	CPUs    int       `json:"cpus"`
	Go      string    `json:"go"`
	OS      string    `json:"os"`
	LoadAvg string    `json:"loadavg"` // at the start of the run
	Time    time.Time `json:"time"`
}

func machine() Machine {
	la, _ := os.ReadFile("/proc/loadavg")
	return Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		LoadAvg: string(trimNL(la)), Time: time.Now().UTC().Truncate(time.Second)}
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// Run drives the ledger, and with Baseline then kvstore, and reports both. A target that
// fails to start or run is an error; transactions refused or left uncommitted are counted
// and the last error is kept in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &Report{Machine: machine(), Cashiers: cfg.Cashiers, Items: cfg.Items, Rate: cfg.Rate, Skipped: skipped(cfg)}
	dir, err := mkdirTemp(cfg.Dir, "ebill-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	size, err := payloadSize(cfg.Items)
	if err != nil {
		return nil, fmt.Errorf("bench: payload size: %w", err)
	}
	if cfg.Validators > 1 && cfg.Remote == nil && (cfg.Ebilld == "" || cfg.Baseline && cfg.KVNode == "") {
		cfg.Log("building ebilld and kvnode for the validator processes")
		if cfg.Ebilld, cfg.KVNode, err = BuildBinaries(dir); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	var jobs [][]job
	if cfg.Remote != nil {
		r.Ebill, err = runRemote(ctx, cfg, size, filepath.Join(dir, "light"))
	} else {
		r.Ebill, jobs, err = runLedger(ctx, cfg, size, filepath.Join(dir, "ebill"))
	}
	if err != nil {
		return nil, err
	}
	r.BillsPerS = r.Ebill.TxPerS
	if cfg.Baseline {
		cfg.Log("kvstore baseline: %d validator(s), same settings and load", cfg.Validators)
		if r.KVStore, err = runKVStore(ctx, cfg, kvJobs(jobs), filepath.Join(dir, "kvstore")); err != nil {
			return nil, err
		}
		r.KVStoreTxPerS = r.KVStore.TxPerS
		if r.KVStoreTxPerS > 0 {
			r.RatioToKVStore = round2(r.BillsPerS / r.KVStoreTxPerS)
		}
	}
	for _, res := range []*Result{r.Ebill, r.KVStore} {
		if res != nil && res.LastError != "" {
			r.Errors = append(r.Errors, res.App+": "+res.LastError)
		}
	}
	return r, nil
}

func runLedger(ctx context.Context, cfg Config, payload int, dir string) (*Result, [][]job, error) {
	w, err := newWorld(cfg.Cashiers)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	signers := make([]*localnet.Signer, len(w.cashiers))
	for i, id := range w.cashiers {
		signers[i] = localnet.NewSigner(node.DemoChainID, id, 0)
	}
	cfg.Log("signing %d bills of %d items (%d-byte payloads) ahead of the clock", cfg.perCashier()*cfg.Cashiers, cfg.Items, payload)
	jobs, err := billJobs(node.DemoChainID, node.DemoHospital, node.DemoBillCode, signers, cfg.perCashier(), payload, cfg.SampleEvery, "b")
	if err != nil {
		return nil, nil, fmt.Errorf("bench: sign bills: %w", err)
	}
	var net *network
	pids := []int{os.Getpid()}
	if cfg.Validators == 1 {
		hs, rpcs, err := homes(dir, 1, w.genesis)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: %w", err)
		}
		cfg.Log("starting the embedded node in this process")
		if net, err = startNodes(ctx, hs, rpcs, startLedger); err != nil {
			return nil, nil, fmt.Errorf("bench: start ledger: %w", err)
		}
	} else {
		cfg.Log("starting %d ledger validators as ebilld processes", cfg.Validators)
		cl, err := localnet.NewCluster(ctx, cfg.Ebilld, dir, cfg.Validators, node.DemoChainID, w.genesis)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: start ledger: %w", err)
		}
		net = &network{rpcs: cl.RPCs, stops: []func() error{cl.Close}}
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err = cl.WaitAll(wctx, 1)
		cancel()
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("bench: start ledger: %w", err), cl.Close())
		}
		pids = pids[:0]
		for i := range cl.Len() {
			pids = append(pids, cl.Pid(i))
		}
	}
	defer net.stop()
	rpcs := net.rpcs
	var iss *issuing
	if cfg.SampleEvery > 0 {
		f := node.NetworkFile{ChainID: node.DemoChainID, Primary: rpcs[0], Witnesses: rpcs[1:]}
		if len(rpcs) == 1 {
			f.Witnesses = rpcs
		}
		light, err := startLight(ctx, f, filepath.Join(dir, "light"))
		if err != nil {
			return nil, nil, err
		}
		defer light.Close()
		iss = &issuing{light: light, clerk: localnet.NewSigner(node.DemoChainID, w.ids.Clerk, 0),
			cashier: localnet.NewSigner(node.DemoChainID, w.ids.Cashier, 0)}
	}
	res, err := drive(ctx, cfg, "ebill", net, jobs, iss, pids)
	return res, jobs, err
}

func runKVStore(ctx context.Context, cfg Config, jobs [][]job, dir string) (*Result, error) {
	w, err := newWorld(0)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	hs, rpcs, err := homes(dir, cfg.Validators, w.genesis)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var net *network
	pids := []int{os.Getpid()}
	if cfg.Validators == 1 {
		net, err = startNodes(ctx, hs, rpcs, startKVStore)
	} else {
		net, pids, err = startProcs(ctx, cfg.KVNode, hs, rpcs)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: start kvstore: %w", err)
	}
	defer net.stop()
	return drive(ctx, cfg, "kvstore", net, jobs, nil, pids)
}

func runRemote(ctx context.Context, cfg Config, payload int, dir string) (*Result, error) {
	rm := cfg.Remote
	light, err := startLight(ctx, rm.File, dir)
	if err != nil {
		return nil, err
	}
	defer light.Close()
	chain := rm.File.ChainID
	acct, _, err := light.Account(ctx, rm.Cashier.Public().SignKey)
	if err != nil {
		return nil, fmt.Errorf("bench: cashier account: %w", err)
	}
	// One signer for every cashier goroutine: the ledger's sequence window takes them out
	// of order. It starts past the highest sequence the ledger has seen.
	s := localnet.NewSigner(chain, rm.Cashier, acct.Seq)
	signers := make([]*localnet.Signer, cfg.Cashiers)
	for i := range signers {
		signers[i] = s
	}
	sample := cfg.SampleEvery
	var iss *issuing
	if rm.Clerk == nil || sample < 0 {
		sample = -1
	} else {
		ca, _, err := light.Account(ctx, rm.Clerk.Public().SignKey)
		if err != nil {
			return nil, fmt.Errorf("bench: clerk account: %w", err)
		}
		iss = &issuing{light: light, clerk: localnet.NewSigner(chain, rm.Clerk, ca.Seq), cashier: s}
	}
	run := fmt.Sprintf("r%d", time.Now().Unix())
	jobs, err := billJobs(chain, acct.Org, rm.Code, signers, cfg.perCashier(), payload, sample, run)
	if err != nil {
		return nil, fmt.Errorf("bench: sign bills: %w", err)
	}
	rpcs := append([]string{rm.File.Primary}, rm.File.Witnesses...)
	return drive(ctx, cfg, "ebill", &network{rpcs: rpcs}, jobs, iss, nil)
}

func startLight(ctx context.Context, f node.NetworkFile, dir string) (*lightclient.Client, error) {
	if f.TrustHeight == 0 {
		if err := f.FillTrust(ctx, f.Primary); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	hash, err := hexDecode(f.TrustHash)
	if err != nil {
		return nil, fmt.Errorf("bench: trust hash: %w", err)
	}
	c, err := lightclient.New(ctx, lightclient.Config{ChainID: f.ChainID, TrustHeight: f.TrustHeight, TrustHash: hash,
		Primary: f.Primary, Witnesses: f.Witnesses}, dir, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: light node: %w", err)
	}
	return c, nil
}

// drive runs the load on the nodes of net (cashier i sends to node i mod n, so a
// testnet's mempools share the intake) and measures it.
func drive(ctx context.Context, cfg Config, app string, net *network, jobs [][]job, iss *issuing, pids []int) (*Result, error) {
	rpcs := net.rpcs
	l := &load{jobs: jobs, issue: iss, drainFor: cfg.Drain, bus: net.bus}
	if cfg.Rate > 0 {
		l.rate = cfg.Rate / float64(len(jobs))
	}
	var err error
	if l.watch, err = localnet.Client(rpcs[0]); err != nil {
		return nil, err
	}
	watchHC := &http.Client{Transport: &httplimit.Transport{Base: &http.Transport{}}, Timeout: 10 * time.Second}
	l.blocks = func(ctx context.Context, h int64) ([]node.TxOutcome, error) {
		return node.CommittedTxs(ctx, watchHC, rpcs[0], h)
	}
	for i := range jobs {
		addr := rpcs[i%len(rpcs)]
		if cfg.Submit == SubmitJSONRPC {
			c, err := localnet.Client(addr)
			if err != nil {
				return nil, err
			}
			l.clients = append(l.clients, func(ctx context.Context, tx []byte) (*ctypes.ResultBroadcastTx, error) {
				return c.BroadcastTxSync(ctx, tx)
			})
			continue
		}
		hc := &http.Client{Transport: &httplimit.Transport{Base: &http.Transport{}}, Timeout: 10 * time.Second}
		l.clients = append(l.clients, func(ctx context.Context, tx []byte) (*ctypes.ResultBroadcastTx, error) {
			return node.BroadcastTxSync(ctx, hc, addr, tx)
		})
	}
	st, err := l.watch.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", app, err)
	}
	if cfg.Count <= 0 {
		l.until = time.Now().Add(cfg.Duration)
	}
	var meter *usageMeter
	if len(pids) > 0 {
		meter = startMeter(pids, 500*time.Millisecond)
	}
	cfg.Log("%s: load of %d cashiers for %s", app, len(jobs), span(cfg))
	runErr := l.run(ctx, st.SyncInfo.LatestBlockHeight)

	l.mu.Lock()
	defer l.mu.Unlock()
	res := &Result{App: app, Validators: len(rpcs), Sent: l.sent.Load(), Committed: len(l.commits), Refused: l.refused.Load(),
		SubmitCommitted: summarise(latencies(l.commits)), Series: perSecond(l.commits), IssueFailed: l.failed}
	if cfg.Remote != nil {
		res.Validators = 0 // unknown: only the RPC addresses of the network file are
	}
	var bytes, n int
	for _, js := range jobs {
		for _, j := range js {
			bytes += len(j.tx)
			n++
		}
	}
	res.TxBytes = bytes / max(n, 1)
	ms, blocks := l.blockInterval()
	res.BlockMS, res.Blocks = round2(ms), blocks
	if len(l.commits) > 0 {
		res.Seconds = round2(l.last.Sub(l.start).Seconds())
		res.TxPerS = round2(float64(len(l.commits)) / l.last.Sub(l.start).Seconds())
	}
	if iss != nil {
		s := summarise(latencies(l.issued))
		res.SubmitIssued = &s
	}
	if meter != nil {
		cpu, rss := meter.finish()
		res.CPUSeconds = round2(cpu.Seconds())
		res.RSSPeakMB = round2(float64(rss) / 1024)
		if res.Seconds > 0 {
			res.CPUCores = round2(cpu.Seconds() / time.Since(l.start).Seconds())
		}
		if res.Committed > 0 {
			res.CPUPerTxUS = round2(float64(cpu.Microseconds()) / float64(res.Committed))
		}
	}
	if runErr != nil {
		res.LastError = runErr.Error()
	} else if err := l.lastError(); err != nil {
		res.LastError = err.Error()
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

func span(cfg Config) string {
	if cfg.Count > 0 {
		return fmt.Sprintf("%d bills", cfg.perCashier()*cfg.Cashiers)
	}
	return cfg.Duration.String()
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
