package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	ics23 "github.com/cosmos/ics23/go"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/app/node/nodetest"
	"ebill/app/wire"
)

// demoHome initialises a demo network in a fresh directory.
func demoHome(t *testing.T) (string, node.DemoIdentities) {
	t.Helper()
	ids, err := node.NewDemoIdentities()
	if err != nil {
		t.Fatal(err)
	}
	g, err := node.DemoGenesis(ids)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := node.InitHome(home, node.DemoChainID, g, node.HomeOptions{}); err != nil {
		t.Fatal(err)
	}
	return home, ids
}

// startDemo starts a demo network's node and connects an RPC client to it.
func startDemo(t *testing.T, ctx context.Context) (*node.Node, *rpchttp.HTTP, node.DemoIdentities) {
	t.Helper()
	home, ids := demoHome(t)
	n := startNode(t, ctx, home)
	c, err := localnet.Client(n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	return n, c, ids
}

func startNode(t *testing.T, ctx context.Context, home string) *node.Node {
	t.Helper()
	n, err := node.Start(ctx, home, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Error(err)
		}
	})
	return n
}

// TestIssueAndProve runs one bill through the real RPC and checks what a desk checks: the
// issued record and its number index prove against the app hash in header H+1, and a
// missing id proves absent.
func TestIssueAndProve(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, c, ids := startDemo(t, ctx)
	cashier := localnet.NewSigner(n.ChainID(), ids.Cashier, 0)
	clerk := localnet.NewSigner(n.ChainID(), ids.Clerk, 0)

	sub := cashier.Submit(node.DemoHospital, node.DemoBillCode, "MZ20260001", 2048)
	id := bill.ID(sub.Org, sub.Serial)
	var issued int64
	for _, step := range []struct {
		name string
		s    *localnet.Signer
		msg  wire.Msg
	}{
		{"submit", cashier, sub},
		{"approve", clerk, clerk.Approve(sub)},
		{"issue", cashier, &wire.Issue{ID: id}},
	} {
		tx, err := step.s.Tx(step.msg)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		res, err := nodetest.Commit(ctx, c, tx)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		issued = res.Height
	}

	root, err := nodetest.AppHash(ctx, c, issued)
	if err != nil {
		t.Fatal(err)
	}
	key := wire.BillKey(id)
	value, proof, err := nodetest.Query(ctx, c, key, issued)
	if err != nil {
		t.Fatal(err)
	}
	if value == nil {
		t.Fatalf("bill %s absent at height %d", id, issued)
	}
	if !ics23.VerifyMembership(ics23.IavlSpec, root, proof, key, value) {
		t.Fatalf("proof of bill %s does not verify against the app hash in header %d", id, issued+1)
	}
	// The checks above must be able to fail: the same proof refuses an altered record and
	// the state before the issue.
	before, err := nodetest.AppHash(ctx, c, issued-1)
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Clone(value)
	altered[len(altered)-1] ^= 1
	if ics23.VerifyMembership(ics23.IavlSpec, root, proof, key, altered) {
		t.Error("proof verifies an altered record")
	}
	if ics23.VerifyMembership(ics23.IavlSpec, before, proof, key, value) {
		t.Error("proof verifies against the app hash before the issue")
	}

	b, err := wire.DecodeBillRecord(value)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != wire.StatusIssued || b.Number == "" {
		t.Fatalf("bill after issue: status %v, number %q; want issued with a number", b.Status, b.Number)
	}
	if want := bill.CheckCode(n.ChainID(), b.Code, b.Number, sub.Commitment); b.CheckCode != want {
		t.Errorf("check code %q, want %q", b.CheckCode, want)
	}
	byNumber, err := nodetest.Proven(ctx, c, wire.NumberKey(b.Code, b.Number), issued)
	if err != nil {
		t.Fatal(err)
	}
	if string(byNumber) != id {
		t.Errorf("number %s/%s indexes %q, want %q", b.Code, b.Number, byNumber, id)
	}

	missing := wire.BillKey(bill.ID(node.DemoHospital, "MZ-never-submitted"))
	value, proof, err = nodetest.Query(ctx, c, missing, issued)
	if err != nil {
		t.Fatal(err)
	}
	if value != nil {
		t.Fatalf("missing bill has a value: %x", value)
	}
	if !ics23.VerifyNonMembership(ics23.IavlSpec, root, proof, missing) {
		t.Fatal("absence proof does not verify against the app hash in header H+1")
	}
	if ics23.VerifyNonMembership(ics23.IavlSpec, root, proof, key) {
		t.Error("absence proof of a missing id also 'proves' the issued bill absent")
	}
}

// TestRestartInProcess stops a node and starts it again on the same home in the same
// process, twice: the databases are released, the chain goes on, the state is intact.
func TestRestartInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	home, ids := demoHome(t)
	cashier := localnet.NewSigner(node.DemoChainID, ids.Cashier, 0)
	var serials []string
	var last int64
	for round := range 3 {
		n, err := node.Start(ctx, home, node.Options{})
		if err != nil {
			t.Fatalf("start %d: %v", round, err)
		}
		c, err := localnet.Client(n.RPCAddr()) // a fresh client: the old port is gone
		if err != nil {
			t.Fatal(err)
		}
		h, err := localnet.WaitHeight(ctx, c, last+1)
		if err != nil {
			t.Fatalf("round %d: chain does not go on: %v", round, err)
		}
		for _, s := range serials {
			v, err := nodetest.Proven(ctx, c, wire.BillKey(bill.ID(node.DemoHospital, s)), h)
			if err != nil || v == nil {
				t.Fatalf("round %d: bill %s lost after restart (%v)", round, s, err)
			}
		}
		serial := "MZ-restart-" + string(rune('A'+round))
		tx, err := cashier.Tx(cashier.Submit(node.DemoHospital, node.DemoBillCode, serial, 512))
		if err != nil {
			t.Fatal(err)
		}
		res, err := nodetest.Commit(ctx, c, tx)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		serials = append(serials, serial)
		last = res.Height
		if err := n.Stop(); err != nil {
			t.Fatalf("stop %d: %v", round, err)
		}
		if err := n.Stop(); err != nil {
			t.Fatalf("second stop %d: %v", round, err)
		}
	}
}

func TestStartRefuses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := node.Start(ctx, t.TempDir(), node.Options{}); !errors.Is(err, node.ErrNoHome) {
		t.Errorf("start in an empty directory: %v, want ErrNoHome", err)
	}
	home, _ := demoHome(t)
	startNode(t, ctx, home)
	if n, err := node.Start(ctx, home, node.Options{}); err == nil {
		n.Stop()
		t.Error("a second node started on a home that is in use")
	}
}

func TestInitHomeRefusesExisting(t *testing.T) {
	home, ids := demoHome(t)
	g, err := node.DemoGenesis(ids)
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := node.InitHome(home, "other-chain", g, node.HomeOptions{}); !errors.Is(err, node.ErrHomeExists) {
		t.Fatalf("init over an existing home: %v, want ErrHomeExists", err)
	}
	after, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("genesis changed by a refused init (%v)", err)
	}
	if err := node.Testnet(home, 2, 30000, "other-chain", g); !errors.Is(err, node.ErrHomeExists) {
		t.Errorf("testnet over an existing home: %v, want ErrHomeExists", err)
	}
	if err := node.InitHome(t.TempDir(), "", g, node.HomeOptions{}); err == nil {
		t.Error("init without a chain id succeeded")
	}
}

// TestCommittedTxs reads a committed block's transactions with node.CommittedTxs and holds
// them against what rpcclient decodes from the same block: the same hashes, codes, data
// and logs in the same order.
func TestCommittedTxs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, c, ids := startDemo(t, ctx)
	cashier := localnet.NewSigner(n.ChainID(), ids.Cashier, 0)
	tx, err := cashier.Tx(cashier.Submit(node.DemoHospital, node.DemoBillCode, "MZ-committed", 512))
	if err != nil {
		t.Fatal(err)
	}
	res, err := nodetest.Commit(ctx, c, tx)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	got, err := node.CommittedTxs(ctx, hc, n.RPCAddr(), res.Height)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := c.Block(ctx, &res.Height)
	if err != nil {
		t.Fatal(err)
	}
	results, err := c.BlockResults(ctx, &res.Height)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(blk.Block.Txs) || len(got) == 0 {
		t.Fatalf("block %d: %d transactions, rpcclient reads %d", res.Height, len(got), len(blk.Block.Txs))
	}
	for i, o := range got {
		r := results.TxResults[i]
		if o.Hash != sha256.Sum256(blk.Block.Txs[i]) || o.Code != r.Code || !bytes.Equal(o.Data, r.Data) || o.Log != r.Log {
			t.Errorf("tx %d: got %x code %d data %x log %q; rpcclient reads code %d data %x log %q",
				i, o.Hash, o.Code, o.Data, o.Log, r.Code, r.Data, r.Log)
		}
	}
	if got[0].Hash != sha256.Sum256(tx) || got[0].Code != 0 {
		t.Errorf("the submitted bill: hash %x code %d; want %x code 0", got[0].Hash, got[0].Code, sha256.Sum256(tx))
	}

	empty, err := node.CommittedTxs(ctx, hc, n.RPCAddr(), 1)
	if err != nil || len(empty) != 0 {
		t.Errorf("block 1 (empty): %d transactions, err %v; want none", len(empty), err)
	}
	_, err = node.CommittedTxs(ctx, hc, n.RPCAddr(), res.Height+1000)
	var rpcErr *rpctypes.RPCError
	if !errors.As(err, &rpcErr) {
		t.Errorf("a height not yet committed: err %v (%T), want an *rpctypes.RPCError", err, err)
	}
}
