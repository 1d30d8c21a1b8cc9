// Command ebilld runs a validator (full node) of an ebill ledger network.
//
//	ebilld init    --home DIR [--demo | --state FILE] [--chain-id ID]
//	ebilld testnet --validators N --dir DIR --base-port P [--demo | --state FILE] [--chain-id ID]
//	ebilld start   --home DIR [--metrics ADDR] [--log-level LEVEL]
//
// Run `ebilld help` for the commands and the exit codes, `ebilld help COMMAND` for the
// details of one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/cometbft/cometbft/libs/cli/flags"
	"github.com/cometbft/cometbft/libs/log"

	"ebill/app/ledger"
	"ebill/app/node"
	"ebill/cmd/internal/cmdline"
	"ebill/wallet"
)

// Exit codes; program.Exits says what each means.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
	exitHome  = 3
)

// program is ebilld's command table and exit-code table (see cmdline).
var program = cmdline.Program[streams]{
	Name:  "ebilld",
	Intro: "ebilld runs a validator of an ebill ledger network (CometBFT).\n\nUsage:\n  ebilld COMMAND [flags]",
	Exits: []cmdline.Exit{
		{Code: exitOK, Means: "success (start: stopped by a signal)"},
		{Code: exitFail, Means: "the command failed (see the message)"},
		{Code: exitUsage, Means: "bad usage: unknown command or flag, missing or invalid argument",
			Errs: []error{cmdline.ErrUsage}},
		{Code: exitHome, Means: `the directory is not usable: init/testnet into a non-empty one, start in one that
init or testnet did not prepare`,
			Errs: []error{node.ErrHomeExists, node.ErrNoHome}},
	},
}

func init() {
	program.Register(cmdline.Command[streams]{Name: "init", Run: cmdInit,
		Args:  "--home DIR [--demo | --state FILE] [--chain-id ID]",
		Usage: "create a one-validator network in DIR (which must be empty or absent)",
		Help: `--demo        use the demo genesis (南京市第一人民医院 under 南京市财政局) and save the
              demo identities demo-admin, demo-cashier, demo-clerk in the encrypted
              key store DIR/demo-keys; the passphrase comes from EBILL_PASSPHRASE
--state FILE  use this ledger genesis (JSON: admin, orgs, accounts, grants, segments)
--chain-id ID chain id (default ebill-demo with --demo; required with --state)
--rpc-port P  RPC port on 127.0.0.1 (default 26657; 0 picks a free port at each start)
--p2p-port P  peer port on 127.0.0.1 (default 26656; 0 as above)`})
	program.Register(cmdline.Command[streams]{Name: "testnet", Run: cmdTestnet,
		Args:  "--validators N --dir DIR --base-port P [--demo | --state FILE] [--chain-id ID]",
		Usage: "create N validator homes DIR/node0 … for one network on 127.0.0.1",
		Help: `Node i takes peer port P+2i and RPC port P+2i+1. --demo puts the demo identities in
DIR/demo-keys; --state and --chain-id as for init.`})
	program.Register(cmdline.Command[streams]{Name: "start", Run: cmdStart,
		Args:  "--home DIR [--metrics ADDR] [--log-level LEVEL] [--archive]",
		Usage: "run the node until SIGINT or SIGTERM",
		Help: `Once a block is committed it writes DIR/network.json, the network file desks load
(chain id, trusted header, primary and witness RPC addresses).
--metrics ADDR   serve Prometheus metrics at ADDR (e.g. 127.0.0.1:26660): CometBFT's
                 and the ledger's bill counters
--log-level L    CometBFT log level, e.g. info, error, "consensus:info,*:error"
                 (default info)
--archive        keep every version of the ledger's state, for audits of old states;
                 without it the latest 10,000 are kept (desks read the latest)`})
}

// streams are where a command writes.
type streams struct{ stdout, stderr io.Writer }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	return program.Run(streams{stdout, stderr}, args, stdout, stderr)
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run reports the error once, with a hint
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return cmdline.Usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return cmdline.Usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// genesisFlags are the flags init and testnet share: where the ledger genesis comes from.
type genesisFlags struct {
	demo    bool
	state   string
	chainID string
}

func (g *genesisFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&g.demo, "demo", false, "")
	fs.StringVar(&g.state, "state", "", "")
	fs.StringVar(&g.chainID, "chain-id", "", "")
}

func (g *genesisFlags) check(cmd string) error {
	switch {
	case g.demo && g.state != "":
		return cmdline.Usagef("%s: give --demo or --state, not both", cmd)
	case !g.demo && g.state == "":
		return cmdline.Usagef("%s: give --demo or --state FILE (the ledger genesis)", cmd)
	case g.chainID == "" && g.demo:
		g.chainID = node.DemoChainID
	case g.chainID == "":
		return cmdline.Usagef("%s: --chain-id is required with --state", cmd)
	}
	return nil
}

// create makes the homes in dir from the ledger genesis, and with --demo then saves the
// demo identities into dir/demo-keys: only once the homes exist, so a refused init or
// testnet leaves no keys behind.
func (g *genesisFlags) create(dir string, homes func(ledger.Genesis) error) error {
	gen, keep, err := g.genesis()
	if err != nil {
		return err
	}
	if err := homes(gen); err != nil {
		return err
	}
	return keep(dir)
}

// genesis reads --state, or with --demo makes the demo identities; keep saves them (into
// DIR/demo-keys).
func (g *genesisFlags) genesis() (gen ledger.Genesis, keep func(dir string) error, err error) {
	noKeys := func(string) error { return nil }
	if g.demo {
		pass := os.Getenv("EBILL_PASSPHRASE")
		if pass == "" {
			return gen, nil, cmdline.Usagef("--demo needs the passphrase for the demo key store in EBILL_PASSPHRASE")
		}
		ids, err := node.NewDemoIdentities()
		if err != nil {
			return gen, nil, err
		}
		if gen, err = node.DemoGenesis(ids); err != nil {
			return gen, nil, err
		}
		return gen, func(dir string) error {
			store, err := wallet.NewFileStore(filepath.Join(dir, "demo-keys"), []byte(pass))
			if err != nil {
				return err
			}
			return ids.Save(context.Background(), store)
		}, nil
	}
	data, err := os.ReadFile(g.state)
	if err != nil {
		return gen, nil, fmt.Errorf("read ledger genesis: %w", err)
	}
	if err := json.Unmarshal(data, &gen); err != nil {
		return gen, nil, fmt.Errorf("ledger genesis %q: %w", g.state, err)
	}
	if err := gen.Validate(); err != nil {
		return gen, nil, fmt.Errorf("ledger genesis %q: %w", g.state, err)
	}
	return gen, noKeys, nil
}

func required(cmd, name, value string) error {
	if value == "" {
		return cmdline.Usagef("%s: --%s is required", cmd, name)
	}
	return nil
}

func checkPort(cmd, name string, p int) error {
	if p < 0 || p > 65535 {
		return cmdline.Usagef("%s: --%s %d: want a port 0–65535", cmd, name, p)
	}
	return nil
}

func cmdInit(out streams, args []string) error {
	fs := newFlags("init")
	home := fs.String("home", "", "")
	rpcPort := fs.Int("rpc-port", 26657, "")
	p2pPort := fs.Int("p2p-port", 26656, "")
	var g genesisFlags
	g.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := errors.Join(required("init", "home", *home), g.check("init"),
		checkPort("init", "rpc-port", *rpcPort), checkPort("init", "p2p-port", *p2pPort)); err != nil {
		return err
	}
	if err := g.create(*home, func(gen ledger.Genesis) error {
		return node.InitHome(*home, g.chainID, gen, node.HomeOptions{RPCPort: *rpcPort, P2PPort: *p2pPort})
	}); err != nil {
		return err
	}
	fmt.Fprintf(out.stdout, "initialised validator home %s for chain %s\n", *home, g.chainID)
	return nil
}

func cmdTestnet(out streams, args []string) error {
	fs := newFlags("testnet")
	dir := fs.String("dir", "", "")
	n := fs.Int("validators", 4, "")
	basePort := fs.Int("base-port", 0, "")
	var g genesisFlags
	g.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := errors.Join(required("testnet", "dir", *dir), g.check("testnet")); err != nil {
		return err
	}
	switch {
	case *n < 1:
		return cmdline.Usagef("testnet: --validators %d: want at least 1", *n)
	case *basePort < 1024 || *basePort+2**n-1 > 65535:
		return cmdline.Usagef("testnet: --base-port %d: the ports P … P+2N-1 must lie within 1024–65535", *basePort)
	}
	if err := g.create(*dir, func(gen ledger.Genesis) error {
		return node.Testnet(*dir, *n, *basePort, g.chainID, gen)
	}); err != nil {
		return err
	}
	fmt.Fprintf(out.stdout, "initialised %d validator homes in %s for chain %s (RPC of node0 on 127.0.0.1:%d)\n",
		*n, *dir, g.chainID, *basePort+1)
	return nil
}

func cmdStart(out streams, args []string) error {
	stdout, stderr := out.stdout, out.stderr
	fs := newFlags("start")
	home := fs.String("home", "", "")
	metrics := fs.String("metrics", "", "")
	level := fs.String("log-level", "info", "")
	archive := fs.Bool("archive", false, "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("start", "home", *home); err != nil {
		return err
	}
	logger, err := flags.ParseLogLevel(*level, log.NewTMLogger(log.NewSyncWriter(stderr)), "info")
	if err != nil {
		return cmdline.Usagef("start: --log-level %q: %v", *level, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	n, err := node.Start(ctx, *home, node.Options{Logger: logger, MetricsAddr: *metrics, Archive: *archive})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ebilld: chain %s, RPC %s\n", n.ChainID(), n.RPCAddr())
	go writeNetworkFile(ctx, n, filepath.Join(*home, "network.json"), stdout, stderr)
	<-ctx.Done()
	return n.Stop()
}

// writeNetworkFile writes the network file once the node knows a committed header; on a
// testnet that needs the other validators up, so it waits as long as the node runs.
func writeNetworkFile(ctx context.Context, n *node.Node, path string, stdout, stderr io.Writer) {
	f, err := n.NetworkFile(ctx)
	if err == nil {
		err = node.WriteNetworkFileAtomic(path, f)
	}
	switch {
	case err == nil:
		fmt.Fprintf(stdout, "ebilld: wrote %s (trusted height %d)\n", path, f.TrustHeight)
	case ctx.Err() == nil:
		fmt.Fprintf(stderr, "ebilld: network file not written: %v\n", err)
	}
}
