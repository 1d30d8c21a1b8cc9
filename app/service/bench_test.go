package service_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/app/service"
)

// BenchmarkSubmitToIssued measures the latency a cashier sees from submitting a bill to
// holding it issued and verified, with the bureau's automatic reviewer approving it in
// between: three transactions, three blocks, and a verified read after each.
//
//	go test ./app/service -run '^$' -bench SubmitToIssued -benchtime 30x
func BenchmarkSubmitToIssued(b *testing.B) {
	ctx := context.Background()
	w := newWorld(b, ctx)
	cashier, clerk := w.desk(b, ctx, "cashierA"), w.desk(b, ctx, "clerk")
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		v, err := cashier.Submit(ctx, sample(bill.Outpatient, hospitalA, fmt.Sprint("lat", i), 5), nil)
		if err != nil {
			b.Fatal(err)
		}
		if rep, err := clerk.AutoReview(ctx, nil); err != nil || rep.Approved != 1 {
			b.Fatalf("auto review: %+v, %v", rep, err)
		}
		if _, err := cashier.Issue(ctx, v.ID, nil); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99-ms")
}

// BenchmarkHISBatch measures a HIS batch of 1,000 bills end to end: submitted through the
// pipeline, approved by the automatic reviewer, issued concurrently, each read back
// verified.
//
//	go test ./app/service -run '^$' -bench HISBatch -benchtime 1x
func BenchmarkHISBatch(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	w := newWorld(b, ctx)
	cashier, clerk := w.desk(b, ctx, "cashierA"), w.desk(b, ctx, "clerk")
	b.ResetTimer()
	var total time.Duration
	for i := range b.N {
		bills := make([]*bill.Bill, n)
		for j := range bills {
			bills[j] = sample(bill.Outpatient, hospitalA, fmt.Sprintf("his%d-%d", i, j), 1+j%20)
		}
		start := time.Now()
		var ids []string
		for _, r := range cashier.SubmitBatch(ctx, bills, nil) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			ids = append(ids, r.ID)
		}
		submitted := time.Since(start)
		rep, err := clerk.AutoReview(ctx, nil)
		if err != nil || rep.Approved != n {
			b.Fatalf("auto review: approved %d, held %d, failed %v, %v", rep.Approved, len(rep.Held), rep.Failed, err)
		}
		reviewed := time.Since(start)
		issueAll(b, ctx, cashier, ids)
		total += time.Since(start)
		b.Logf("batch %d: submitted %v, reviewed %v, issued %v", i, submitted, reviewed, time.Since(start))
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "bills/s")
}

// issueAll issues the bills concurrently, as a cashier's bulk issue would.
func issueAll(b *testing.B, ctx context.Context, cashier *service.Desk, ids []string) {
	sem := make(chan struct{}, 96)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := cashier.Issue(ctx, id, nil); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
