package lightclient_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/app/node/nodetest"
	"ebill/app/wire"
	"ebill/lightclient"
)

// liar is a primary that lies: a reverse proxy in front of a real node's RPC that passes
// requests through and rewrites the JSON-RPC results of chosen methods.
type liar struct {
	t      testing.TB
	target string
	url    string
	close  func() // stops the proxy, as if the node died
	mu     sync.Mutex
	lies   map[string]func(result []byte) []byte // by JSON-RPC method
	asks   map[string]func(req []byte) []byte    // requests rewritten before forwarding
}

func newLiar(t testing.TB, target string) *liar {
	l := &liar{t: t, target: target, lies: map[string]func([]byte) []byte{}, asks: map[string]func([]byte) []byte{}}
	srv := httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(srv.Close)
	l.url, l.close = srv.URL, srv.Close
	return l
}

// lie makes the proxy rewrite every result of method with f; nil tells the truth again.
func (l *liar) lie(method string, f func(result []byte) []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lies[method] = f
}

// ask makes the proxy rewrite every request of method with f before forwarding it.
func (l *liar) ask(method string, f func(req []byte) []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asks[method] = f
}

func (l *liar) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req struct{ Method string }
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	l.mu.Lock()
	ask := l.asks[req.Method]
	l.mu.Unlock()
	if ask != nil {
		body = ask(body)
	}
	resp, err := http.Post(l.target, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	var out struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  json.RawMessage `json:"result,omitempty"`
		Error   json.RawMessage `json:"error,omitempty"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	l.mu.Lock()
	f := l.lies[req.Method]
	l.mu.Unlock()
	if f != nil && out.Result != nil {
		out.Result = f(out.Result)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// rewrite decodes a result as T, lets change alter it and encodes it again.
func rewrite[T any](t testing.TB, change func(*T)) func([]byte) []byte {
	return func(result []byte) []byte {
		var v T
		if err := cmtjson.Unmarshal(result, &v); err != nil {
			t.Errorf("liar: decode %T: %v", v, err)
			return result
		}
		change(&v)
		out, err := cmtjson.Marshal(&v)
		if err != nil {
			t.Errorf("liar: encode %T: %v", v, err)
			return result
		}
		return out
	}
}

func TestLyingPrimary(t *testing.T) {
	ch := demoChain(t)
	ctx := timeout(t)
	honest := ch.rpc
	present := wire.BillKey(ch.issued.ID)
	absentID := bill.ID(node.DemoHospital, "MZ-NEVER")
	absent := wire.BillKey(absentID)
	// truth is the honest node's proven answer for key at height.
	truth := func(key []byte, height int64) *coretypes.ResultABCIQuery {
		res, err := honest.ABCIQueryWithOptions(ctx, wire.QueryKey, key, rpcclient.ABCIQueryOptions{Height: height, Prove: true})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// The stale proof below is only a lie if the tree changed after the issue.
	staleRoot, err := nodetest.AppHash(ctx, honest, ch.issueHeight)
	if err != nil {
		t.Fatal(err)
	}
	if root, err := nodetest.AppHash(ctx, honest, ch.otherHeight); err != nil || bytes.Equal(root, staleRoot) {
		t.Fatalf("the tree did not change after the issue (err %v): a stale proof would be a true one", err)
	}

	type answer = coretypes.ResultABCIQuery
	cases := []struct {
		name string
		id   string // the bill read
		lie  func(a *answer)
	}{
		{"changed value", ch.issued.ID, func(a *answer) {
			a.Response.Value = bytes.Clone(a.Response.Value)
			a.Response.Value[len(a.Response.Value)-1] ^= 1
		}},
		{"value of another key with its proof", ch.issued.ID, func(a *answer) {
			h := a.Response.Height
			*a = *truth(wire.BillKey(ch.other.ID), h)
			a.Response.Key = present
		}},
		{"proof from an older height", ch.issued.ID, func(a *answer) {
			h := a.Response.Height
			*a = *truth(present, ch.issueHeight)
			a.Response.Height = h
		}},
		{"proof ops removed", ch.issued.ID, func(a *answer) { a.Response.ProofOps = nil }},
		{"two proof ops", ch.issued.ID, func(a *answer) {
			a.Response.ProofOps.Ops = append(a.Response.ProofOps.Ops, a.Response.ProofOps.Ops[0])
		}},
		{"wrong op type", ch.issued.ID, func(a *answer) { a.Response.ProofOps.Ops[0].Type = "ics23:simple" }},
		{"value op instead of ics23", ch.issued.ID, func(a *answer) {
			a.Response.ProofOps.Ops = []cmtcrypto.ProofOp{{Type: "simple:v", Key: present, Data: a.Response.ProofOps.Ops[0].Data}}
		}},
		{"absence answer for a present key", ch.issued.ID, func(a *answer) { a.Response.Value = nil }},
		{"absence proof of another key for a present key", ch.issued.ID, func(a *answer) {
			h := a.Response.Height
			*a = *truth(absent, h)
			a.Response.Key, a.Response.ProofOps.Ops[0].Key = present, present
		}},
		{"present answer for an absent key", absentID, func(a *answer) {
			h := a.Response.Height
			*a = *truth(present, h)
			a.Response.Key, a.Response.ProofOps.Ops[0].Key = absent, absent
		}},
		{"value added to an absence proof", absentID, func(a *answer) { a.Response.Value = []byte("a bill") }},
		{"height in the future", ch.issued.ID, func(a *answer) { a.Response.Height += 1000 }},
		{"height in the past", ch.issued.ID, func(a *answer) { a.Response.Height-- }},
		{"another key echoed", ch.issued.ID, func(a *answer) { a.Response.Key = wire.BillKey(ch.other.ID) }},
	}

	l := newLiar(t, ch.node.RPCAddr())
	cfg := ch.config(t)
	cfg.Primary, cfg.Witnesses = l.url, []string{l.url}
	lc := open(t, cfg)
	if _, err := lc.WaitHeight(ctx, ch.otherHeight); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := lc.Bill(ctx, tc.id); err != nil && tc.id == ch.issued.ID {
				t.Fatalf("honest answer refused: %v", err)
			}
			l.lie("abci_query", rewrite(t, tc.lie))
			defer l.lie("abci_query", nil)
			b, v, err := lc.Bill(ctx, tc.id)
			if !errors.Is(err, lightclient.ErrVerification) {
				t.Fatalf("accepted: bill %q at %+v, err %v; want ErrVerification", b.ID, v, err)
			}
			t.Log(err)
		})
	}

	// A payload is not in the tree, only its hash: one whose bytes do not hash to the
	// proven value is refused.
	t.Run("changed payload", func(t *testing.T) {
		if _, err := lc.Payload(ctx, ch.issued.Payload); err != nil {
			t.Fatalf("honest payload refused: %v", err)
		}
		l.lie("abci_query", rewrite(t, func(a *answer) {
			if a.Response.ProofOps == nil && len(a.Response.Value) > 0 { // the payload, not the proven hash
				a.Response.Value = bytes.Clone(a.Response.Value)
				a.Response.Value[0] ^= 1
			}
		}))
		defer l.lie("abci_query", nil)
		if p, err := lc.Payload(ctx, ch.issued.Payload); !errors.Is(err, lightclient.ErrVerification) {
			t.Fatalf("accepted a changed payload of %d bytes, err %v; want ErrVerification", len(p), err)
		}
	})

	const ahead = 1000
	headerLies := []struct {
		name string
		lie  func(c *coretypes.ResultCommit)
		// ask rewrites the light client's validators request, so the lie is consistent.
		ask func(req []byte) []byte
	}{
		{"header altered", func(c *coretypes.ResultCommit) { c.Header.AppHash = bytes.Repeat([]byte{7}, 32) }, nil},
		{"header and its block id altered", func(c *coretypes.ResultCommit) {
			c.Header.AppHash = bytes.Repeat([]byte{7}, 32)
			c.Commit.BlockID.Hash = c.Header.Hash()
		}, nil},
		{"commit signature altered", func(c *coretypes.ResultCommit) {
			sig := bytes.Clone(c.Commit.Signatures[0].Signature)
			sig[0] ^= 1
			c.Commit.Signatures[0].Signature = sig
		}, nil},
		{"different chain id", func(c *coretypes.ResultCommit) {
			c.Header.ChainID = "ebill-other"
			c.Commit.BlockID.Hash = c.Header.Hash()
		}, nil},
		{"header from a future height", func(c *coretypes.ResultCommit) {
			c.Header.Height += ahead
			c.Commit.Height = c.Header.Height
			c.Commit.BlockID.Hash = c.Header.Hash()
		}, func(req []byte) []byte {
			// Serve the validators of the real height for the claimed one.
			var r struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Method  string          `json:"method"`
				Params  map[string]any  `json:"params"`
			}
			if err := json.Unmarshal(req, &r); err != nil {
				t.Errorf("liar: %v", err)
				return req
			}
			if h, err := strconv.ParseInt(fmt.Sprint(r.Params["height"]), 10, 64); err == nil && h > ahead {
				r.Params["height"] = strconv.FormatInt(h-ahead, 10)
			}
			out, _ := json.Marshal(r)
			return out
		}},
	}
	for _, tc := range headerLies {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits for the chain to pass its trust root
			l := newLiar(t, ch.node.RPCAddr())
			cfg := ch.config(t)
			cfg.Primary, cfg.Witnesses = l.url, []string{l.url}
			lc := open(t, cfg)
			// Lie about every header after the trust root, and wait for one to exist.
			if tc.ask != nil {
				l.ask("validators", tc.ask)
			}
			l.lie("commit", rewrite(t, func(c *coretypes.ResultCommit) {
				if c.Header.Height > cfg.TrustHeight {
					tc.lie(c)
				}
			}))
			if _, err := localnet.WaitHeight(ctx, honest, cfg.TrustHeight+2); err != nil {
				t.Fatal(err)
			}
			b, v, err := lc.Bill(ctx, ch.issued.ID)
			if !errors.Is(err, lightclient.ErrVerification) {
				t.Fatalf("accepted: bill %q at %+v, err %v; want ErrVerification", b.ID, v, err)
			}
			t.Log(err)
			if st := lc.Status(); st.Height != cfg.TrustHeight || st.State == lightclient.StateVerified {
				t.Fatalf("status after a lie: %+v", st)
			}
		})
	}

	t.Run("network file of another chain", func(t *testing.T) {
		cfg := ch.config(t)
		cfg.ChainID = "ebill-other"
		_, err := lightclient.New(ctx, cfg, t.TempDir(), nil)
		if err == nil {
			t.Fatal("a light node for another chain started")
		}
		t.Log(err)
	})
}

// TestDivergentWitness runs a second network from a copy of the first one's home before it
// started: the same chain id, genesis and validator, but other blocks. Each network's
// headers are validly signed, so a light node that sees both is under attack.
func TestDivergentWitness(t *testing.T) {
	ch := demoChain(t)
	ctx := timeout(t)
	fork, err := node.Start(ctx, ch.fresh, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fork.Stop() })
	forkRPC, err := localnet.Client(fork.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := localnet.WaitHeight(ctx, forkRPC, 3); err != nil {
		t.Fatal(err)
	}
	// The fork is the primary and the first network its witness; the witness, started
	// long before, has every height the fork has.
	forkFile, err := fork.NetworkFile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	latest := fromNetworkFile(t, forkFile)
	first, err := forkRPC.Commit(ctx, new(int64(1)))
	if err != nil {
		t.Fatal(err)
	}
	rootAtOne := latest
	rootAtOne.TrustHeight, rootAtOne.TrustHash = 1, first.Header.Hash()

	for _, tc := range []struct {
		name string
		cfg  lightclient.Config
	}{
		{"trust root conflicts", latest},
		{"a later header conflicts", rootAtOne},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Witnesses = []string{ch.node.RPCAddr()}
			dir := t.TempDir()
			lc, err := lightclient.New(ctx, cfg, dir, nil)
			if err == nil {
				defer lc.Close()
				_, _, err = lc.Bill(ctx, ch.issued.ID)
			}
			if !errors.Is(err, lightclient.ErrAttack) {
				t.Fatalf("got %v, want ErrAttack", err)
			}
			t.Log(err)
			files, _ := filepath.Glob(filepath.Join(dir, "attack-evidence-*.json"))
			if len(files) != 1 {
				t.Fatalf("evidence files %v, want one", files)
			}
			data, err := os.ReadFile(files[0])
			if err != nil || !strings.Contains(string(data), ch.node.RPCAddr()) || !strings.Contains(string(data), "signed_header") {
				t.Fatalf("evidence file without the conflicting header (err %v):\n%s", err, data)
			}
			if lc == nil {
				return
			}
			if _, _, err := lc.Account(ctx, ch.ids.Cashier.PublicKey()); !errors.Is(err, lightclient.ErrAttack) {
				t.Fatalf("read after the attack: %v, want ErrAttack", err)
			}
			if st := lc.Status(); st.State != lightclient.StateAttack {
				t.Fatalf("status %s, want %s", st.State, lightclient.StateAttack)
			}
		})
	}
}
