package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"ebill/app/bench"
	"ebill/app/node"
	"ebill/cmd/internal/cmdline"
)

func init() {
	program.Register(cmdline.Command[*cli]{Name: "bench", Run: (*cli).cmdBench,
		Args:  "[--duration D | --count N] [flags]",
		Usage: "load test: bills/s committed, latencies, CPU and RSS of the nodes",
		Help: `Flags: [--duration D | --count N] [--cashiers C] [--items K] [--rate R]
[--validators V] [--baseline] [--runs N] [--chart out.png] [--cpuprofile FILE]
[--submit uri|jsonrpc] [--clerk NAME] [--code CODE] [--sample-every N]
[--state-bills N,N,… [--dir DIR]]

C cashiers submit K-item bills for D (default 20s) or N bills, as fast as the ledger
takes them or R bills/s; reports bills/s committed, submit→committed and
submit→verified-issued latency, CPU and RSS of the nodes. Without --network it starts V
validators (default 1, in this process; more as ebilld processes on loopback, built with
go build from the source tree); --baseline also runs CometBFT's kvstore with the same
settings and load and gives the ratio; with --network, --identity is the cashier and
--clerk NAME the bureau clerk who approves the sampled bills.

--state-bills 0,100000,1000000 measures how the ledger grows instead: for each N it fills
a ledger of N bills through its ABCI calls in this process (no consensus: the block
store is not measured), then reports bills/s on top (against N = 0), verified-read
p50/p99, proof bytes, state and payload bytes per bill, RSS and restart time; the states
are built under --dir (default a temporary directory) and removed.`})
}

// cmdBench is `ebillctl bench`: flags to bench.Config, the report to the terminal.
func (c *cli) cmdBench(args []string) error {
	fs := c.flags("bench")
	var cfg bench.Config
	fs.DurationVar(&cfg.Duration, "duration", 0, "")
	fs.IntVar(&cfg.Count, "count", 0, "")
	fs.IntVar(&cfg.Cashiers, "cashiers", 8, "")
	fs.IntVar(&cfg.Items, "items", 6, "")
	fs.Float64Var(&cfg.Rate, "rate", 0, "")
	fs.IntVar(&cfg.Validators, "validators", 1, "")
	fs.IntVar(&cfg.SampleEvery, "sample-every", 20, "")
	fs.BoolVar(&cfg.Baseline, "baseline", false, "")
	fs.StringVar(&cfg.Submit, "submit", bench.SubmitURI, "")
	runs := fs.Int("runs", 1, "")
	chart := fs.String("chart", "", "")
	clerk := fs.String("clerk", "", "")
	code := fs.String("code", node.DemoBillCode, "")
	profile := fs.String("cpuprofile", "", "")
	stateBills := fs.String("state-bills", "", "")
	dir := fs.String("dir", "", "")
	if _, err := parse(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if *stateBills != "" {
		return c.benchScale(*stateBills, *dir, *chart)
	}
	if cfg.Count > 0 && cfg.Duration > 0 {
		return usagef("bench: give --duration or --count, not both")
	}
	if cfg.Count == 0 && cfg.Duration == 0 {
		cfg.Duration = 20 * time.Second
	}
	if *runs < 1 || *runs > 20 {
		return usagef("bench: --runs %d: want 1 to 20", *runs)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.network != "" {
		rm, err := c.benchRemote(ctx, *clerk, *code)
		if err != nil {
			return err
		}
		cfg.Remote = rm
	}
	if !c.json {
		cfg.Log = func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }
	}
	if *profile != "" {
		// Where the time goes: the embedded node runs in this process (validators of a
		// testnet are processes of their own, not in the profile).
		f, err := os.Create(*profile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var reports []*bench.Report
	for i := range *runs {
		r, err := bench.Run(ctx, cfg)
		if err != nil {
			return fmt.Errorf("bench run %d: %w", i+1, err)
		}
		reports = append(reports, r)
		if !c.json {
			if err := r.WriteTable(c.stdout); err != nil {
				return err
			}
		}
		if *chart != "" && i == 0 {
			if err := writeChart(*chart, r); err != nil {
				return err
			}
		}
	}
	s := bench.Summarise(reports)
	if c.json {
		if *runs == 1 {
			return c.printJSON(reports[0])
		}
		return c.printJSON(s)
	}
	if *runs > 1 {
		fmt.Fprintf(c.stdout, "\nmedians of %d runs: %.1f bills/s, p99 submit→committed %.0f ms", s.Runs, s.BillsPerS, s.P99CommittedMS)
		if s.KVStoreTxPerS > 0 {
			fmt.Fprintf(c.stdout, ", kvstore %.1f tx/s, ratio %.2f", s.KVStoreTxPerS, s.RatioToKVStore)
		}
		fmt.Fprintln(c.stdout)
	}
	return nil
}

// benchScale is `ebillctl bench --state-bills N,…`.
func (c *cli) benchScale(list, dir, chart string) error {
	var sizes []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return usagef("bench: --state-bills %q: want sizes like 0,100000,1000000", list)
		}
		sizes = append(sizes, n)
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "ebill-scale-")
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := bench.ScaleConfig{StateBills: sizes, Dir: dir}
	if !c.json {
		cfg.Log = func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }
	}
	points, err := bench.Scale(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if chart != "" {
		f, err := os.Create(chart)
		if err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		if err := bench.WriteScaleChart(f, points); err != nil {
			f.Close()
			return fmt.Errorf("chart: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
	}
	if c.json {
		return c.printJSON(map[string]any{"scale": points})
	}
	fmt.Fprintf(c.stdout, "%10s %9s %6s %8s %8s %6s %9s %9s %7s %8s %8s %8s\n", "STATE", "BILLS/S", "RATIO", "READ P50", "READ P99",
		"PROOF", "STATE/B", "PAYLD/B", "RSS MB", "RESTART", "SNAP/B", "RESTORE")
	for _, p := range points {
		fmt.Fprintf(c.stdout, "%10d %9.0f %6.2f %8.2f %8.2f %6d %9.0f %9.0f %7d %7.2fs %8.0f %7.2fs\n", p.StateBills, p.BillsPerS, p.RatioToEmpty,
			p.ReadP50Ms, p.ReadP99Ms, p.ProofBytes, p.StateBytesPerBill, p.PayloadBytesPerBill, p.RSSBytes>>20, p.RestartS,
			p.SnapshotBytesPerBill, p.RestoreS)
	}
	return nil
}

func writeChart(path string, r *bench.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if err := r.WriteChart(f); err != nil {
		f.Close()
		return fmt.Errorf("chart: %w", err)
	}
	return f.Close()
}

// benchRemote is the network --network names with the cashier --identity and, when given,
// the clerk.
func (c *cli) benchRemote(ctx context.Context, clerk, code string) (*bench.Remote, error) {
	nf, err := c.networkFile()
	if err != nil {
		return nil, err
	}
	store, err := c.store()
	if err != nil {
		return nil, err
	}
	cashier, err := c.signer(ctx, store)
	if err != nil {
		return nil, err
	}
	rm := &bench.Remote{File: nf, Cashier: cashier, Code: code}
	if clerk != "" {
		if rm.Clerk, err = store.Load(ctx, clerk); err != nil {
			return nil, fmt.Errorf("load identity %q: %w", clerk, err)
		}
	}
	return rm, nil
}
