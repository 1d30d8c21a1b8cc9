package node_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/internal/httplimit"
	"ebill/internal/httplimit/httplimittest"
)

const goodNetwork = `{
  "chain_id": "ebill-js",
  "trust_height": 42,
  "trust_hash": "2f6ca0506524e796beaa2fdb8e39893cd110f2aa9c530dc23d7edc95475e1122",
  "primary": "http://10.0.0.1:26657",
  "witnesses": ["http://10.0.0.2:26657", "https://rpc.czj.nanjing.example"]
}`

func TestReadNetworkFile(t *testing.T) {
	f, err := node.ReadNetworkFile(strings.NewReader(goodNetwork))
	if err != nil {
		t.Fatal(err)
	}
	if f.ChainID != "ebill-js" || f.TrustHeight != 42 || len(f.Witnesses) != 2 || f.Primary != "http://10.0.0.1:26657" {
		t.Fatalf("decoded %+v", f)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := node.ReadNetworkFile(&buf)
	if err != nil {
		t.Fatalf("reading what Write wrote: %v", err)
	}
	if again.TrustHash != f.TrustHash || again.Witnesses[1] != f.Witnesses[1] {
		t.Fatalf("round trip changed the file: %+v", again)
	}

	for _, tc := range []struct {
		name, old, new string
		want           string // in the error message
	}{
		{"bad JSON", `"trust_height": 42,`, `"trust_height": 42`, "line 4, column"},
		{"empty", goodNetwork, ``, "empty file"},
		{"truncated", goodNetwork, `{"chain_id": "x"`, "unexpected end"},
		{"trailing data", goodNetwork, goodNetwork + `{}`, "trailing data"},
		{"wrong type", `"trust_height": 42`, `"trust_height": "42"`, `field "trust_height" at line 3`},
		{"unknown field", `"witnesses"`, `"witness"`, `unknown field "witness"`},
		{"no chain id", `"chain_id": "ebill-js"`, `"chain_id": " "`, "chain_id is missing"},
		{"height 0", `"trust_height": 42`, `"trust_height": 0`, "trust_height 0"},
		{"short hash", `"2f6ca05`, `"6ca05`, "want 64 hex digits"},
		{"non-hex hash", `"2f6ca05`, `"zz6ca05`, "want 64 hex digits"},
		{"no primary", `"http://10.0.0.1:26657"`, `""`, "primary: missing"},
		{"tcp primary", `"http://10.0.0.1:26657"`, `"tcp://10.0.0.1:26657"`, `primary: RPC address "tcp://`},
		{"no witness", `["http://10.0.0.2:26657", "https://rpc.czj.nanjing.example"]`, `[]`, "no witness"},
		{"bad witness", `"https://rpc.czj.nanjing.example"`, `"rpc.czj.nanjing.example"`, "witnesses[1]"},
		{"larger than 1 MiB", `"primary"`, strings.Repeat(" ", 1<<20) + `"primary"`, "larger than 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(goodNetwork, tc.old, tc.new, 1)
			if in == goodNetwork {
				t.Fatalf("test case changes nothing")
			}
			_, err := node.ReadNetworkFile(strings.NewReader(in))
			if !errors.Is(err, node.ErrInvalidNetworkFile) {
				t.Fatalf("got %v, want ErrInvalidNetworkFile", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// A node that answers with an endless body is refused with ErrTooLarge by every RPC client
// a node, ebilld or a tool makes, which read no further than httplimit.MaxBody.
func TestFloodingNode(t *testing.T) {
	flood := httplimittest.NewFlood(t)
	for _, tc := range []struct {
		name string
		read func(ctx context.Context) error
	}{
		{"FillTrust", func(ctx context.Context) error {
			var f node.NetworkFile
			return f.FillTrust(ctx, flood.URL)
		}},
		{"localnet.Client", func(ctx context.Context) error {
			c, err := localnet.Client(flood.URL)
			if err != nil {
				return err
			}
			_, err = c.Status(ctx)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := tc.read(ctx); !errors.Is(err, httplimit.ErrTooLarge) {
				t.Errorf("err = %v, want ErrTooLarge", err)
			}
			if flood.Drained() {
				t.Error("read the whole flood")
			}
		})
	}
}

// TestNodeNetworkFile takes the trust root from a running node and writes the file as
// ebilld does: a lone node is its own primary and witness.
func TestNodeNetworkFile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	home, _ := demoHome(t)
	n := startNode(t, ctx, home)
	f, err := n.NetworkFile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.ChainID != node.DemoChainID || f.Primary != n.RPCAddr() || len(f.Witnesses) != 1 || f.Witnesses[0] != n.RPCAddr() {
		t.Fatalf("network file %+v for node at %s", f, n.RPCAddr())
	}
	c, err := localnet.Client(n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	com, err := c.Commit(ctx, &f.TrustHeight)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToLower(com.SignedHeader.Header.Hash().String()); got != f.TrustHash {
		t.Fatalf("trust hash %s, header %d hashes to %s", f.TrustHash, f.TrustHeight, got)
	}

	path := filepath.Join(t.TempDir(), "network.json")
	if err := node.WriteNetworkFileAtomic(path, f); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if back, err := node.ReadNetworkFile(r); err != nil || back.TrustHash != f.TrustHash {
		t.Fatalf("read back %+v, %v", back, err)
	}
	other := node.NetworkFile{ChainID: "another-chain"}
	if err := other.FillTrust(ctx, n.RPCAddr()); err == nil {
		t.Error("FillTrust accepted a node of another chain")
	}
	if err := node.WriteNetworkFileAtomic(path, node.NetworkFile{ChainID: "x"}); !errors.Is(err, node.ErrInvalidNetworkFile) {
		t.Errorf("wrote an invalid network file: %v", err)
	}
}
