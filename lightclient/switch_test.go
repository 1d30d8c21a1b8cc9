package lightclient

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cometbft/cometbft/light/provider"
	"github.com/cometbft/cometbft/types"
)

// fault is how a faultyProvider fails.
type fault int32

const (
	faultNone   fault = iota
	faultRefuse       // the node is dead: connections are refused
	faultHang         // the node is frozen: connections open, nothing comes back
)

// faultyProvider is a memory provider whose node can die or freeze, failing the way the
// HTTP provider does.
type faultyProvider struct {
	*memProvider
	addr  string
	fault atomic.Int32
}

func (p *faultyProvider) LightBlock(ctx context.Context, height int64) (*types.LightBlock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // as a real request would: an update past its deadline fails
	}
	switch fault(p.fault.Load()) {
	case faultRefuse:
		return nil, &url.Error{Op: "Post", URL: p.addr, Err: syscall.ECONNREFUSED}
	case faultHang:
		<-ctx.Done()
		return nil, &url.Error{Op: "Post", URL: p.addr, Err: ctx.Err()}
	}
	return p.memProvider.LightBlock(ctx, height)
}

// openFaulty opens a light node over a primary and two witnesses that can fail, all at
// head 10 of blocks.
func openFaulty(t *testing.T, blocks []*types.LightBlock) (*Client, Config, map[string]*faultyProvider) {
	t.Helper()
	cfg := Config{
		ChainID: blocks[0].ChainID, TrustHeight: 1, TrustHash: blocks[0].Hash(),
		Primary:        "http://127.0.0.1:1",
		Witnesses:      []string{"http://127.0.0.1:2", "http://127.0.0.1:3"},
		UpdateInterval: time.Hour,
		NodeTimeout:    100 * time.Millisecond,
	}
	provs := map[string]*faultyProvider{}
	clk := newClock(blocks[len(blocks)-1].Time.Add(time.Second))
	c, _, err := openMemConfig(t, cfg, blocks, 10, t.TempDir(), clk.now, func(addr string, p *memProvider) provider.Provider {
		fp := &faultyProvider{memProvider: p, addr: addr}
		provs[addr] = fp
		return fp
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, cfg, provs
}

// TestUnreachableNodes: a dead or frozen primary, or a witness still catching up, costs an
// update a few node timeouts, not the caller's deadline. Before, a frozen primary held the
// update for 5 s per try and a witness behind the head for 30 s.
func TestUnreachableNodes(t *testing.T) {
	blocks := makeChain(t, "ebill-switch", 4, 20, time.Now().Add(-time.Hour), time.Second)
	tests := []struct {
		name         string
		primaryFault fault
		behind       int // this witness (index) stays at head 10
		wantSwitch   bool
		// unconfirmed: no witness is left that holds the primary's head 20, so the update
		// fails as unavailable, or stays below 20 if the promoted witness is the one behind.
		unconfirmed bool
	}{
		{name: "primary dead", primaryFault: faultRefuse, behind: -1, wantSwitch: true},
		{name: "primary frozen", primaryFault: faultHang, behind: -1, wantSwitch: true},
		{name: "witness behind", behind: 0},
		{name: "primary frozen, a witness behind", primaryFault: faultHang, behind: 0, wantSwitch: true, unconfirmed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cfg, provs := openFaulty(t, blocks)
			provs[cfg.Primary].fault.Store(int32(tt.primaryFault))
			for i, w := range cfg.Witnesses {
				if i != tt.behind {
					provs[w].setHead(20)
				}
			}
			provs[cfg.Primary].setHead(20)
			// Far below the 30 s the detector sleeps for a witness behind the head.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			lb, err := c.update(ctx)
			switch {
			case tt.unconfirmed && err != nil && !errors.Is(err, ErrUnavailable):
				t.Fatalf("update: %v, want ErrUnavailable", err)
			case tt.unconfirmed && err == nil && lb.Height == 20:
				t.Fatal("updated to 20, which no witness could confirm")
			case !tt.unconfirmed && err != nil:
				t.Fatalf("update: %v", err)
			case !tt.unconfirmed && lb.Height != 20:
				t.Fatalf("updated to %d, want 20", lb.Height)
			}
			st := c.Status()
			if tt.wantSwitch == (st.Primary == cfg.Primary) {
				t.Fatalf("primary %s (configured %s), want a switch: %v", st.Primary, cfg.Primary, tt.wantSwitch)
			}
		})
	}
}

// TestForgedTrustRoot: a network file naming a header the chain does not have is a
// verification failure (the CLI's exit 3), not an outage.
func TestForgedTrustRoot(t *testing.T) {
	blocks := makeChain(t, "ebill-forged", 4, 10, time.Now().Add(-time.Hour), time.Second)
	tests := []struct {
		name string
		hash []byte
	}{
		{name: "hash of another header", hash: blocks[1].Hash()},
		{name: "made-up hash", hash: []byte(strings.Repeat("\x5a", 32))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{
				ChainID: blocks[0].ChainID, TrustHeight: 1, TrustHash: tt.hash,
				Primary: "http://127.0.0.1:1", Witnesses: []string{"http://127.0.0.1:2"},
			}
			clk := newClock(blocks[len(blocks)-1].Time.Add(time.Second))
			c, _, err := openMemConfig(t, cfg, blocks, 10, t.TempDir(), clk.now, nil)
			if err == nil {
				c.Close()
				t.Fatal("opened on a forged trust root")
			}
			if !errors.Is(err, ErrVerification) || !strings.Contains(err.Error(), "expected header's hash") {
				t.Fatalf("got %v, want ErrVerification naming the hash", err)
			}
		})
	}
}

// TestQueuedUpdateShares: a caller that waited for verifyMu while another update ran takes
// that update's outcome instead of verifying again, unless that outcome was only the other
// caller's deadline.
func TestQueuedUpdateShares(t *testing.T) {
	blocks := makeChain(t, "ebill-share", 4, 20, time.Now().Add(-time.Hour), time.Second)
	tests := []struct {
		name       string
		lastErr    error
		wantHeight int64 // 1: the shared head (the trust root); 20: an update of its own
		wantErr    error
	}{
		{name: "shares a success", wantHeight: 1},
		{name: "shares an outage", lastErr: fmt.Errorf("%w: no node", ErrUnavailable), wantErr: ErrUnavailable},
		{name: "does not share a deadline", lastErr: fmt.Errorf("%w", context.DeadlineExceeded), wantHeight: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, provs := openFaulty(t, blocks)
			for _, p := range provs {
				p.setHead(20)
			}
			// As if another caller's update ended after this one asked.
			c.mu.Lock()
			c.triedAt, c.lastErr = time.Now().Add(time.Hour), tt.lastErr
			c.mu.Unlock()
			lb, err := c.update(context.Background())
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || lb.Height != tt.wantHeight {
				t.Fatalf("got %v, %v; want height %d", lb, err, tt.wantHeight)
			}
		})
	}
}
