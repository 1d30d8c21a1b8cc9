package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
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

C cashiers submit K-item bills for D (default 20s) or N bills, as fast as the ledger
takes them or R bills/s; reports bills/s committed, submit→committed and
submit→verified-issued latency, CPU and RSS of the nodes. Without --network it starts V
validators (default 1, in this process; more as ebilld processes on loopback, built with
go build from the source tree); --baseline also runs CometBFT's kvstore with the same
settings and load and gives the ratio; with --network, --identity is the cashier and
--clerk NAME the bureau clerk who approves the sampled bills.`})
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
	if _, err := parse(fs, args, 0, 0, ""); err != nil {
		return err
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
