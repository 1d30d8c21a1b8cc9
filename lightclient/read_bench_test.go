package lightclient_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"ebill/app/wire"
	"ebill/lightclient"
)

// BenchmarkVerifiedRead measures a verified read of the issued bill from the in-process
// demo node over loopback RPC: bring the headers up to date (a new header is verified and
// cross-checked about once a second as the node makes blocks), query with a proof, verify
// the proof, decode. p50 and p99 are over the reads of the run.
func BenchmarkVerifiedRead(b *testing.B) {
	ch := demoChain(b)
	lc := open(b, ch.config(b))
	ctx := context.Background()
	if _, err := lc.WaitHeight(ctx, ch.otherHeight); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		read func() error
	}{
		{"bill", func() error { _, _, err := lc.Bill(ctx, ch.issued.ID); return err }},
		{"bill-by-number", func() error { _, _, err := lc.BillByNumber(ctx, ch.issued.Code, ch.issued.Number); return err }},
		{"absent", func() error {
			_, _, err := lc.Get(ctx, wire.BillKey("absent"))
			if err != nil && !isNotFound(err) {
				return err
			}
			return nil
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				if err := bc.read(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

func isNotFound(err error) bool { return errors.Is(err, lightclient.ErrNotFound) }
