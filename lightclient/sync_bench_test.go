package lightclient

import (
	"context"
	"testing"
	"time"
)

const syncBlocks = 10_000

// BenchmarkHeaderSync measures header verification over a chain of 10,000 headers signed
// by 4 validators, served from memory to a primary and a witness so that only the light
// node's own work is timed (verification, cross-check, the pebble store):
//
//   - catch-up: a desk that was offline for 10,000 blocks verifies the head from its trust
//     root (skipping verification: one step while the validator set is unchanged);
//   - follow: a desk online verifies each of the 10,000 headers in turn, as the background
//     loop does; reported per header and for the whole chain.
func BenchmarkHeaderSync(b *testing.B) {
	blocks := makeChain(b, "ebill-bench", 4, syncBlocks, time.Now().Add(-syncBlocks*time.Second-time.Minute), time.Second)
	now := func() time.Time { return blocks[len(blocks)-1].Time.Add(time.Second) }

	b.Run("catch-up", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			c, _, err := openMem(b, blocks, syncBlocks, b.TempDir(), now)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if lb, err := c.update(context.Background()); err != nil || lb.Height != syncBlocks {
				b.Fatalf("update: %v %v", lb, err)
			}
			b.StopTimer()
			c.Close()
			b.StartTimer()
		}
	})
	b.Run("follow", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			c, provs, err := openMem(b, blocks, 1, b.TempDir(), now)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			for h := int64(2); h <= syncBlocks; h++ {
				for _, p := range provs {
					p.setHead(h)
				}
				if _, err := c.update(context.Background()); err != nil {
					b.Fatalf("update to %d: %v", h, err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/(syncBlocks-1), "ns/header")
			b.StopTimer()
			c.Close()
			b.StartTimer()
		}
	})
}
