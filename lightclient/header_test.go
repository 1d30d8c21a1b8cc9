package lightclient

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/light/provider"
)

// clock is a settable time source for the light node.
type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.t.Load()) }
func (c *clock) set(t time.Time)     { c.t.Store(t.UnixNano()) }
func newClock(t time.Time) *clock    { c := new(clock); c.set(t); return c }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

func TestHeaderTimeChecks(t *testing.T) {
	start := time.Now().Add(-time.Hour)
	blocks := makeChain(t, "ebill-hdr", 4, 20, start, time.Second)
	head := blocks[len(blocks)-1].Time

	tests := []struct {
		name    string
		openAt  time.Time // the clock when the light node opens
		thenAdd time.Duration
		openErr error // wanted from open
		updErr  error // wanted from the first update
		mention string
	}{
		{name: "in time", openAt: head.Add(time.Second)},
		{name: "trust root too old to open", openAt: start.Add(DefaultTrustingPeriod + time.Hour), openErr: ErrTrustExpired, mention: "re-import a network file"},
		{name: "trust expires while running", openAt: head, thenAdd: DefaultTrustingPeriod, updErr: ErrTrustExpired, mention: "re-import a network file"},
		{name: "clock behind the chain", openAt: head.Add(-time.Minute), updErr: ErrClockDrift, mention: "clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(tt.openAt)
			c, _, err := openMem(t, blocks, int64(len(blocks)), t.TempDir(), clk.now)
			if tt.openErr != nil {
				if !errors.Is(err, tt.openErr) || !strings.Contains(err.Error(), tt.mention) {
					t.Fatalf("open: got %v, want %v mentioning %q", err, tt.openErr, tt.mention)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			clk.add(tt.thenAdd)
			lb, err := c.update(context.Background())
			if tt.updErr == nil {
				if err != nil || lb.Height != int64(len(blocks)) {
					t.Fatalf("update: height %v, err %v; want the head %d", lb, err, len(blocks))
				}
				if st := c.Status(); st.State != StateVerified || st.Validators != 4 || st.SignedPercent != 100 {
					t.Fatalf("status %+v, want verified by 4 validators, 100%% signed", st)
				}
				return
			}
			if !errors.Is(err, tt.updErr) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("update: got %v, want %v mentioning %q", err, tt.updErr, tt.mention)
			}
			t.Log(err)
			if tt.updErr == ErrTrustExpired {
				if st := c.Status(); st.State != StateExpired {
					t.Fatalf("status %s, want %s", st.State, StateExpired)
				}
			}
		})
	}
}

func TestResumeFromStore(t *testing.T) {
	blocks := makeChain(t, "ebill-resume", 4, 30, time.Now().Add(-time.Hour), time.Second)
	clk := newClock(blocks[len(blocks)-1].Time.Add(time.Second))
	dir := t.TempDir()
	c, provs, err := openMem(t, blocks, 10, dir, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.update(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range provs {
		p.setHead(20)
	}
	if _, err := c.update(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.update(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("update after close: %v, want ErrClosed", err)
	}

	// No trust root this time: the store is the root, and it is at 20 before any update.
	h := hooks{now: clk.now, provider: func(chainID, addr string) (provider.Provider, error) {
		return &memProvider{chainID: chainID, blocks: blocks, head: 30}, nil
	}}
	cfg := c.cfg
	cfg.TrustHeight, cfg.TrustHash = 0, nil
	c2, err := open(context.Background(), cfg, dir, nil, h)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if st := c2.Status(); st.Height != 20 {
		t.Fatalf("resumed at %d, want 20", st.Height)
	}
	if lb, err := c2.update(context.Background()); err != nil || lb.Height != 30 {
		t.Fatalf("update after resume: %v %v, want 30", lb, err)
	}

	// A trust root that contradicts the store is refused, not silently rolled back to.
	c2.Close()
	cfg.TrustHeight, cfg.TrustHash = 20, blocks[18].Hash()
	if _, err := open(context.Background(), cfg, dir, nil, h); err == nil || !strings.Contains(err.Error(), "network file") {
		t.Fatalf("open with a contradicting trust root: %v", err)
	}
}
