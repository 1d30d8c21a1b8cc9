package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/app/node/nodetest"
	"ebill/app/wire"
	"ebill/wallet"
)

// ebilld is the binary the process tests run, built once by TestMain.
var ebilld string

const passphrase = "ebilld-test-passphrase"

func TestMain(m *testing.M) {
	os.Exit(nodetest.MainBuilding(m, "ebill/cmd/ebilld", &ebilld))
}

func TestUsageErrors(t *testing.T) {
	existing := t.TempDir()
	if err := os.WriteFile(filepath.Join(existing, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	stateFile := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(stateFile, []byte(`{"admin": "zz"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  string // EBILL_PASSPHRASE
		args []string
		code int
		want string
	}{
		{"no command", "", nil, exitUsage, "Usage:"},
		{"unknown command", "", []string{"serve"}, exitUsage, `unknown command "serve"`},
		{"help", "", []string{"help"}, exitOK, "Exit codes:"},
		{"unknown flag", "", []string{"init", "--hme", "x"}, exitUsage, "flag provided but not defined: -hme"},
		{"stray argument", "", []string{"start", "--home", "x", "now"}, exitUsage, `unexpected argument "now"`},
		{"init without home", "", []string{"init", "--demo"}, exitUsage, "--home is required"},
		{"init without genesis", "", []string{"init", "--home", t.TempDir()}, exitUsage, "give --demo or --state"},
		{"init with both", "", []string{"init", "--home", t.TempDir(), "--demo", "--state", stateFile}, exitUsage, "not both"},
		{"state without chain id", "", []string{"init", "--home", t.TempDir(), "--state", stateFile}, exitUsage, "--chain-id is required"},
		{"demo without passphrase", "", []string{"init", "--home", t.TempDir(), "--demo"}, exitUsage, "EBILL_PASSPHRASE"},
		{"bad port", passphrase, []string{"init", "--home", t.TempDir(), "--demo", "--rpc-port", "70000"}, exitUsage, "--rpc-port 70000"},
		{"bad state", "", []string{"init", "--home", t.TempDir(), "--state", stateFile, "--chain-id", "c"}, exitFail, "ledger genesis"},
		{"missing state", "", []string{"init", "--home", t.TempDir(), "--state", stateFile + ".nope", "--chain-id", "c"}, exitFail, "no such file"},
		{"init into a used dir", passphrase, []string{"init", "--home", existing, "--demo"}, exitHome, "not empty"},
		{"testnet of 0", passphrase, []string{"testnet", "--dir", t.TempDir(), "--validators", "0", "--base-port", "30000", "--demo"}, exitUsage, "want at least 1"},
		{"testnet low port", passphrase, []string{"testnet", "--dir", t.TempDir(), "--base-port", "80", "--demo"}, exitUsage, "--base-port 80"},
		{"testnet into a used dir", passphrase, []string{"testnet", "--dir", existing, "--base-port", "30000", "--demo"}, exitHome, "not empty"},
		{"start without home", "", []string{"start"}, exitUsage, "--home is required"},
		{"start in a non-home", "", []string{"start", "--home", existing}, exitHome, "not a node home"},
		{"bad log level", "", []string{"start", "--home", existing, "--log-level", "loud"}, exitUsage, "--log-level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("EBILL_PASSPHRASE", tc.env)
			var out bytes.Buffer
			code := run(tc.args, &out, &out)
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("exit %d, output:\n%s\nwant exit %d and %q", code, out.String(), tc.code, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(existing); len(entries) != 1 {
		t.Errorf("a refused command wrote into %s: %d entries", existing, len(entries))
	}
}

// ebilldRun runs the built binary to completion.
func ebilldRun(t *testing.T, args ...string) {
	t.Helper()
	p, err := localnet.StartProcess(ebilld, filepath.Join(t.TempDir(), "ebilld.log"), []string{"EBILL_PASSPHRASE=" + passphrase}, args...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		if done, err := p.Exited(); done {
			if err != nil {
				t.Fatalf("ebilld %s: %v\n%s", strings.Join(args, " "), err, p.Tail(2000))
			}
			return
		}
		select {
		case <-ctx.Done():
			p.Kill()
			t.Fatalf("ebilld %s did not finish", strings.Join(args, " "))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startNode runs `ebilld start` for home and waits until its RPC answers.
func startNode(t *testing.T, ctx context.Context, home, rpc string, extra ...string) *localnet.Process {
	t.Helper()
	args := append([]string{"start", "--home", home, "--log-level", "error"}, extra...)
	p, err := localnet.StartProcess(ebilld, filepath.Join(home, "ebilld.log"), nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	if err := localnet.WaitUp(ctx, rpc); err != nil {
		t.Fatalf("node in %s: %v\n%s", home, err, p.Tail(3000))
	}
	return p
}

func loadIdentity(t *testing.T, dir, name string) *wallet.Identity {
	t.Helper()
	store, err := wallet.NewFileStore(filepath.Join(dir, "demo-keys"), []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	id, err := store.Load(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestKillRestart streams submissions into a node, kills it with SIGKILL in the middle and
// starts it again: it must replay to the app hash it had, hold every bill whose
// transaction made it into a block exactly once, and no bill whose transaction did not.
func TestKillRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ports, err := localnet.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "home")
	rpc := fmt.Sprintf("http://127.0.0.1:%d", ports)
	metrics := fmt.Sprintf("127.0.0.1:%d", ports+1)
	ebilldRun(t, "init", "--home", home, "--demo", "--rpc-port", fmt.Sprint(ports), "--p2p-port", "0")
	cashier := localnet.NewSigner(node.DemoChainID, loadIdentity(t, home, node.DemoCashierName), 0)

	p := startNode(t, ctx, home, rpc)
	c, err := localnet.Client(rpc)
	if err != nil {
		t.Fatal(err)
	}
	h0, err := localnet.WaitHeight(ctx, c, 1)
	if err != nil {
		t.Fatal(err)
	}

	// Four desks submit until the node dies; the kill comes after 200 accepted bills and
	// two blocks, so that some are committed and some still in the mempool.
	var mu sync.Mutex
	accepted := map[string]string{} // tx hash → serial
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wc, err := localnet.Client(rpc)
			if err != nil {
				return
			}
			for i := 0; ; i++ {
				serial := fmt.Sprintf("MZ-kill-%d-%05d", w, i)
				tx, err := cashier.Tx(cashier.Submit(node.DemoHospital, node.DemoBillCode, serial, 2048))
				if err != nil {
					t.Error(err)
					return
				}
				hash, err := nodetest.Broadcast(ctx, wc, tx)
				if err != nil {
					return // the node is gone
				}
				mu.Lock()
				accepted[fmt.Sprintf("%X", hash)] = serial
				if len(accepted) >= 200 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-enough:
	case <-ctx.Done():
		t.Fatal("fewer than 200 submissions accepted")
	}
	if _, err := localnet.WaitHeight(ctx, c, h0+2); err != nil {
		t.Fatal(err)
	}
	info, err := c.ABCIInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := info.Response // the ledger's last committed height and app hash
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	startNode(t, ctx, home, rpc, "--metrics", metrics)
	c, err = localnet.Client(rpc)
	if err != nil {
		t.Fatal(err)
	}
	root, err := nodetest.AppHash(ctx, c, before.LastBlockHeight)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root, before.LastBlockAppHash) {
		t.Fatalf("after restart the state after block %d hashes to %X, before the kill to %X",
			before.LastBlockHeight, root, before.LastBlockAppHash)
	}

	// Count every transaction on the chain: committed bills are those in a block.
	latest, err := localnet.WaitHeight(ctx, c, before.LastBlockHeight+1)
	if err != nil {
		t.Fatal(err)
	}
	inBlocks := map[string]int{}
	for h := int64(1); h <= latest; h++ {
		b, err := c.Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Block.Txs {
			inBlocks[fmt.Sprintf("%X", cmttypes.Tx(tx).Hash())]++
		}
	}
	var committed int
	for hash, serial := range accepted {
		v, err := nodetest.Proven(ctx, c, wire.BillKey(bill.ID(node.DemoHospital, serial)), latest)
		if err != nil {
			t.Fatal(err)
		}
		switch n := inBlocks[hash]; {
		case n > 1:
			t.Errorf("bill %s: its transaction is in %d blocks", serial, n)
		case n == 1 && v == nil:
			t.Errorf("bill %s: committed before the kill, missing after the restart", serial)
		case n == 0 && v != nil:
			t.Errorf("bill %s: never committed, yet present", serial)
		case n == 1:
			b, err := wire.DecodeBillRecord(v)
			if err != nil {
				t.Fatal(err)
			}
			if b.Revision != 1 || len(b.Events) != 1 || b.Status != wire.StatusSubmitted {
				t.Errorf("bill %s: revision %d, %d events, status %v; want one submission", serial, b.Revision, len(b.Events), b.Status)
			}
			committed++
		}
	}
	t.Logf("%d bills accepted, %d committed before the kill at height %d", len(accepted), committed, before.LastBlockHeight)
	if committed == 0 {
		t.Fatal("no bill was committed before the kill: the test proves nothing")
	}

	// The restarted node takes new bills and counts them in its metrics.
	tx, err := cashier.Tx(cashier.Submit(node.DemoHospital, node.DemoBillCode, "MZ-after-restart", 2048))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nodetest.Commit(ctx, c, tx); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"ebill_bills_submitted_total ", "cometbft_consensus_height", `ebill_txs_total{code="ok",msg="submit_bill"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestFourValidators runs a network from `ebilld testnet` as four processes: it keeps
// committing while one validator is killed, and catches that validator up when it
// returns.
func TestFourValidators(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base, err := localnet.FreePorts(8)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "net")
	ebilldRun(t, "testnet", "--validators", "4", "--dir", dir, "--base-port", fmt.Sprint(base), "--demo")
	cashier := localnet.NewSigner(node.DemoChainID, loadIdentity(t, dir, node.DemoCashierName), 0)
	homes := make([]string, 4)
	rpcs := make([]string, 4)
	procs := make([]*localnet.Process, 4)
	for i := range homes {
		homes[i] = filepath.Join(dir, fmt.Sprintf("node%d", i))
		rpcs[i] = fmt.Sprintf("http://127.0.0.1:%d", base+2*i+1)
		procs[i] = startNode(t, ctx, homes[i], rpcs[i])
	}
	clients := make([]nodetest.RPC, 4)
	for i := range clients {
		if clients[i], err = localnet.Client(rpcs[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := localnet.WaitHeight(ctx, clients[i], 2); err != nil {
			t.Fatalf("node%d: %v\n%s", i, err, procs[i].Tail(3000))
		}
	}
	submit := func(via int, serial string) int64 {
		t.Helper()
		tx, err := cashier.Tx(cashier.Submit(node.DemoHospital, node.DemoBillCode, serial, 2048))
		if err != nil {
			t.Fatal(err)
		}
		res, err := nodetest.Commit(ctx, clients[via], tx)
		if err != nil {
			t.Fatalf("submit %s through node%d: %v", serial, via, err)
		}
		return res.Height
	}
	submit(0, "MZ-all-up")

	if err := procs[3].Kill(); err != nil {
		t.Fatal(err)
	}
	h, err := localnet.WaitHeight(ctx, clients[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	// Past node3's turn to propose at least once.
	if _, err := localnet.WaitHeight(ctx, clients[1], h+5); err != nil {
		t.Fatalf("the network stalled with one of four validators down: %v", err)
	}
	during := submit(1, "MZ-node3-down")

	procs[3] = startNode(t, ctx, homes[3], rpcs[3])
	if clients[3], err = localnet.Client(rpcs[3]); err != nil {
		t.Fatal(err)
	}
	top, err := localnet.WaitHeight(ctx, clients[0], during+1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := localnet.WaitHeight(ctx, clients[3], top); err != nil {
		t.Fatalf("node3 does not catch up to height %d: %v\n%s", top, err, procs[3].Tail(3000))
	}
	var hashes [2][]byte
	for i, c := range []nodetest.RPC{clients[0], clients[3]} {
		if hashes[i], err = nodetest.AppHash(ctx, c, top); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(hashes[0], hashes[1]) {
		t.Fatalf("after block %d node3 has app hash %X, node0 %X", top, hashes[1], hashes[0])
	}
	v, err := nodetest.Proven(ctx, clients[3], wire.BillKey(bill.ID(node.DemoHospital, "MZ-node3-down")), top)
	if err != nil || v == nil {
		t.Fatalf("node3 lacks the bill committed while it was down (%v)", err)
	}

	// Every node writes the network's file: node0 primary, the others witnesses.
	var f node.NetworkFile
	if err := localnet.Poll(ctx, func() bool {
		r, err := os.Open(filepath.Join(homes[2], "network.json"))
		if err != nil {
			return false
		}
		defer r.Close()
		f, err = node.ReadNetworkFile(r)
		return err == nil
	}); err != nil {
		t.Fatalf("node2 wrote no network file: %v", err)
	}
	if f.Primary != rpcs[0] || strings.Join(f.Witnesses, " ") != strings.Join(rpcs[1:], " ") {
		t.Errorf("network file names primary %s, witnesses %v; want %s, %v", f.Primary, f.Witnesses, rpcs[0], rpcs[1:])
	}

	// SIGTERM is the orderly way out: ebilld stops the node and exits 0.
	if err := procs[2].Stop(30 * time.Second); err != nil {
		t.Errorf("node2 on SIGTERM: %v\n%s", err, procs[2].Tail(3000))
	}
}
