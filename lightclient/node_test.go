package lightclient_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/app/node/nodetest"
	"ebill/app/wire"
	"ebill/internal/httplimit/httplimittest"
	"ebill/lightclient"
)

// chain is one in-process demo network with an issued bill, shared by the tests of this
// binary: starting a node takes seconds.
type chain struct {
	node    *node.Node
	rpc     *rpchttp.HTTP
	ids     node.DemoIdentities
	cashier *localnet.Signer
	// fresh is a copy of the home taken before the node first started: the same chain id,
	// genesis and validator key, for a second network that diverges from the first.
	fresh string

	issued      wire.BillRecord // issued at issueHeight
	issueHeight int64
	submitTx    []byte          // hash of issued's submission
	other       wire.BillRecord // submitted (not issued) at otherHeight, after issued
	otherHeight int64
}

var (
	chainOnce sync.Once
	shared    *chain
	chainErr  error
	cleanup   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanup) - 1; i >= 0; i-- {
		cleanup[i]()
	}
	os.Exit(code)
}

// demoChain starts the shared network on first use.
func demoChain(t testing.TB) *chain {
	t.Helper()
	chainOnce.Do(func() { shared, chainErr = startChain() })
	if chainErr != nil {
		t.Fatal(chainErr)
	}
	return shared
}

func startChain() (*chain, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "lightclient-test-")
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { os.RemoveAll(dir) })
	ids, err := node.NewDemoIdentities()
	if err != nil {
		return nil, err
	}
	g, err := node.DemoGenesis(ids)
	if err != nil {
		return nil, err
	}
	home := filepath.Join(dir, "home")
	if err := node.InitHome(home, node.DemoChainID, g, node.HomeOptions{}); err != nil {
		return nil, err
	}
	c := &chain{ids: ids, fresh: filepath.Join(dir, "fresh")}
	if err := os.CopyFS(c.fresh, os.DirFS(home)); err != nil {
		return nil, err
	}
	if c.node, err = node.Start(ctx, home, node.Options{}); err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { c.node.Stop() })
	if c.rpc, err = localnet.Client(c.node.RPCAddr()); err != nil {
		return nil, err
	}
	c.cashier = localnet.NewSigner(node.DemoChainID, ids.Cashier, 0)
	clerk := localnet.NewSigner(node.DemoChainID, ids.Clerk, 0)

	sub := c.cashier.Submit(node.DemoHospital, node.DemoBillCode, "MZ-LC-0001", 1024)
	id := bill.ID(sub.Org, sub.Serial)
	for _, step := range []struct {
		s   *localnet.Signer
		msg wire.Msg
	}{{c.cashier, sub}, {clerk, clerk.Approve(sub)}, {c.cashier, &wire.Issue{ID: id}}} {
		res, err := c.commit(ctx, step.s, step.msg)
		if err != nil {
			return nil, err
		}
		if step.msg == sub {
			c.submitTx = res.Hash
		}
		c.issueHeight = res.Height
	}
	raw, err := nodetest.Proven(ctx, c.rpc, wire.BillKey(id), c.issueHeight)
	if err != nil {
		return nil, err
	}
	if c.issued, err = wire.DecodeBillRecord(raw); err != nil {
		return nil, err
	}
	// A later change of the tree, so proofs from the issue height are stale afterwards.
	other := c.cashier.Submit(node.DemoHospital, node.DemoBillCode, "MZ-LC-0002", 512)
	res, err := c.commit(ctx, c.cashier, other)
	if err != nil {
		return nil, err
	}
	c.otherHeight = res.Height
	raw, err = nodetest.Proven(ctx, c.rpc, wire.BillKey(bill.ID(other.Org, other.Serial)), c.otherHeight)
	if err != nil {
		return nil, err
	}
	if c.other, err = wire.DecodeBillRecord(raw); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *chain) commit(ctx context.Context, s *localnet.Signer, msg wire.Msg) (*coretypes.ResultTx, error) {
	tx, err := s.Tx(msg)
	if err != nil {
		return nil, err
	}
	return nodetest.Commit(ctx, c.rpc, tx)
}

// config is the network file of the node as a light node config, with the node's latest
// header as the trust root.
func (c *chain) config(t testing.TB) lightclient.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := c.node.NetworkFile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return fromNetworkFile(t, f)
}

func fromNetworkFile(t testing.TB, f node.NetworkFile) lightclient.Config {
	t.Helper()
	hash, err := hex.DecodeString(f.TrustHash)
	if err != nil {
		t.Fatal(err)
	}
	return lightclient.Config{
		ChainID: f.ChainID, TrustHeight: f.TrustHeight, TrustHash: hash,
		Primary: f.Primary, Witnesses: f.Witnesses,
	}
}

// open starts a light node in a fresh directory, closed at the end of the test.
func open(t testing.TB, cfg lightclient.Config) *lightclient.Client {
	t.Helper()
	lc, err := lightclient.New(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lc.Close() })
	return lc
}

func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestVerifiedReads(t *testing.T) {
	ch := demoChain(t)
	lc := open(t, ch.config(t))
	ctx := timeout(t)
	if _, err := lc.WaitHeight(ctx, ch.otherHeight); err != nil {
		t.Fatal(err)
	}
	want := ch.issued

	checkBill := func(t *testing.T, b wire.BillRecord, v lightclient.Verified, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if b.ID != want.ID || b.Status != wire.StatusIssued || b.Number != want.Number || b.CheckCode != want.CheckCode {
			t.Fatalf("got bill %q %s %s/%s, want %q issued as %s/%s", b.ID, b.Status, b.Code, b.Number, want.ID, want.Code, want.Number)
		}
		if v.Height < ch.issueHeight || len(v.AppHash) != 32 || v.SignedPercent != 100 || v.HeaderTime.IsZero() {
			t.Fatalf("verified %+v: want height ≥ %d, an app hash, 100%% signed", v, ch.issueHeight)
		}
	}
	t.Run("bill by id", func(t *testing.T) {
		b, v, err := lc.Bill(ctx, want.ID)
		checkBill(t, b, v, err)
	})
	t.Run("bill by serial", func(t *testing.T) {
		b, v, err := lc.BillBySerial(ctx, want.Org, want.Serial)
		checkBill(t, b, v, err)
	})
	t.Run("bill by number", func(t *testing.T) {
		b, v, err := lc.BillByNumber(ctx, want.Code, want.Number)
		checkBill(t, b, v, err)
	})
	t.Run("payload", func(t *testing.T) {
		p, err := lc.Payload(ctx, want.Payload)
		if err != nil || sha256.Sum256(p) != want.Commitment {
			t.Fatalf("payload of %d bytes does not match the commitment (err %v)", len(p), err)
		}
	})
	t.Run("absent bill", func(t *testing.T) {
		_, v, err := lc.Bill(ctx, bill.ID(node.DemoHospital, "MZ-NEVER"))
		if !errors.Is(err, lightclient.ErrNotFound) || v.Height < ch.otherHeight {
			t.Fatalf("got %v at %+v, want ErrNotFound proven at a height ≥ %d", err, v, ch.otherHeight)
		}
		_, _, err = lc.BillByNumber(ctx, want.Code, "9999999999")
		if !errors.Is(err, lightclient.ErrNotFound) {
			t.Fatalf("by an unissued number: %v, want ErrNotFound", err)
		}
	})
	t.Run("account", func(t *testing.T) {
		a, _, err := lc.Account(ctx, ch.ids.Cashier.PublicKey())
		if err != nil || a.Role != wire.RoleCashier || a.Org != node.DemoHospital || a.Seq < 3 {
			t.Fatalf("cashier account %+v, err %v", a, err)
		}
	})
	t.Run("org and segment", func(t *testing.T) {
		o, _, err := lc.Org(ctx, node.DemoHospital)
		if err != nil || o.Bureau != node.DemoBureau {
			t.Fatalf("org %+v, err %v", o, err)
		}
		s, _, err := lc.Segment(ctx, node.DemoHospital, node.DemoBillCode)
		if err != nil || s.Next < 2 {
			t.Fatalf("segment %+v, err %v", s, err)
		}
	})
	t.Run("tx inclusion", func(t *testing.T) {
		r, err := lc.VerifyTx(ctx, ch.submitTx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != 0 || r.Height < 2 || r.Height > ch.issueHeight || r.Verified.Height != r.Height {
			t.Fatalf("tx result %+v", r)
		}
		if _, err := lc.VerifyTx(ctx, make([]byte, 32)); err == nil {
			t.Fatal("an unknown tx was verified")
		}
	})
	t.Run("status", func(t *testing.T) {
		st := lc.Status()
		if st.State != lightclient.StateVerified || st.Height < ch.otherHeight+1 || st.Validators != 1 ||
			st.SignedPercent != 100 || st.Primary == "" || len(st.Witnesses) == 0 || st.Err != nil {
			t.Fatalf("status %+v", st)
		}
	})
}

func TestRestartFromStore(t *testing.T) {
	ch := demoChain(t)
	cfg := ch.config(t)
	dir := t.TempDir()
	ctx := timeout(t)
	lc, err := lightclient.New(ctx, cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lc.Bill(ctx, ch.issued.ID); err != nil {
		t.Fatal(err)
	}
	before := lc.Status().Height
	if err := lc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lc.Bill(ctx, ch.issued.ID); !errors.Is(err, lightclient.ErrClosed) {
		t.Fatalf("read after close: %v, want ErrClosed", err)
	}

	cfg.TrustHeight, cfg.TrustHash = 0, nil // the store is the trust root now
	lc, err = lightclient.New(ctx, cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if h := lc.Status().Height; h < before {
		t.Fatalf("resumed at height %d, had verified %d", h, before)
	}
	if b, _, err := lc.Bill(ctx, ch.issued.ID); err != nil || b.Number != ch.issued.Number {
		t.Fatalf("read after restart: %+v, %v", b, err)
	}
}

func TestTrustExpiredOnNode(t *testing.T) {
	ch := demoChain(t)
	cfg := ch.config(t)
	cfg.TrustingPeriod = time.Millisecond // the trust root is already older than that
	_, err := lightclient.New(timeout(t), cfg, t.TempDir(), nil)
	if !errors.Is(err, lightclient.ErrTrustExpired) {
		t.Fatalf("got %v, want ErrTrustExpired", err)
	}
	t.Log(err)
}

// TestPrimaryDown stops the primary: the light node promotes a witness and keeps serving
// verified reads, cross-checked against the remaining witness.
func TestPrimaryDown(t *testing.T) {
	ch := demoChain(t)
	ctx := timeout(t)
	primary := newLiar(t, ch.node.RPCAddr()) // an honest proxy that can die
	cfg := ch.config(t)
	// Two witnesses, so one is left to cross-check once the other becomes the primary.
	// They reach the same node by two names.
	cfg.Primary = primary.url
	cfg.Witnesses = []string{ch.node.RPCAddr(), strings.Replace(ch.node.RPCAddr(), "127.0.0.1", "localhost", 1)}
	lc := open(t, cfg)
	if _, _, err := lc.Bill(ctx, ch.issued.ID); err != nil {
		t.Fatal(err)
	}
	primary.close()
	// A header verified after the primary died: the state at its latest verified height.
	next := lc.Status().Height
	if _, err := lc.WaitHeight(ctx, next); err != nil {
		t.Fatal(err)
	}
	b, v, err := lc.Bill(ctx, ch.issued.ID)
	if err != nil || b.Number != ch.issued.Number || v.Height < next {
		t.Fatalf("read with the primary down: %+v at %+v, %v", b, v, err)
	}
	if st := lc.Status(); st.Primary == cfg.Primary || st.State != lightclient.StateVerified {
		t.Fatalf("status %+v: want a witness promoted and verified", st)
	}
}

// TestFloodingPrimary gives the light node a primary that answers everything with an endless
// body: each answer costs at most httplimit.MaxBody, the primary counts as down, and a
// witness serves the headers and the verified reads.
func TestFloodingPrimary(t *testing.T) {
	ch := demoChain(t)
	ctx := timeout(t)
	flood := httplimittest.NewFlood(t)
	cfg := ch.config(t)
	cfg.Primary = flood.URL
	cfg.Witnesses = []string{ch.node.RPCAddr(), strings.Replace(ch.node.RPCAddr(), "127.0.0.1", "localhost", 1)}
	lc := open(t, cfg)
	b, _, err := lc.Bill(ctx, ch.issued.ID)
	if err != nil || b.Number != ch.issued.Number {
		t.Fatalf("read with a flooding primary: %+v, %v", b, err)
	}
	if st := lc.Status(); st.Primary == cfg.Primary {
		t.Errorf("status %+v: the flooding primary is still the primary", st)
	}
	if flood.Drained() {
		t.Error("the light node read a whole flood")
	}
}
