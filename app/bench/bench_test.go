package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"ebill/app/node"
)

// TestBlockInterval divides the time from the first send to the last commit by the blocks
// seen in it, leaving out the empty blocks before and after the load and whatever the
// watcher saw at once.
func TestBlockInterval(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name string
		seen []int
		want float64
	}{
		{"none", nil, 0},
		{"one", []int{100}, 1000},
		{"steady", []int{250, 500, 750, 1000}, 250},
		{"idle blocks outside the load", []int{-900, 100, 300, 500, 2000, 3000}, 1000.0 / 3},
		{"caught up in one poll", []int{200, 200, 200, 600, 1000}, 200},
	} {
		l := &load{start: t0, last: at(1000)}
		for _, ms := range tc.seen {
			l.seen = append(l.seen, at(ms))
		}
		if got, _ := l.blockInterval(); got != tc.want {
			t.Errorf("%s: %v ms, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSummarise(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // out of order on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := summarise(d)
	want := Latency{N: 100, P50: 50, P90: 90, P99: 99, Max: 100}
	if got != want {
		t.Fatalf("summarise(1..100 ms) = %+v, want %+v", got, want)
	}
	if one := summarise([]time.Duration{7 * time.Millisecond}); one.P50 != 7 || one.P99 != 7 {
		t.Fatalf("one sample: %+v", one)
	}
	if (summarise(nil) != Latency{}) {
		t.Fatal("no samples should give zeros")
	}
}

// TestReportSaysWhatItSkips: the table and the JSON both name every desk step the load
// leaves out, and the steps of the life cycle only when bills are sampled.
func TestReportSaysWhatItSkips(t *testing.T) {
	for _, tc := range []struct {
		sample int
		want   string
	}{{20, "without decrypting"}, {-1, "no bill is sampled"}} {
		r := &Report{Ebill: &Result{App: "ebill"}, Skipped: skipped(Config{SampleEvery: tc.sample})}
		var table, js strings.Builder
		if err := r.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var got struct{ Skipped []string }
		if err := json.Unmarshal([]byte(js.String()), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Skipped) < 5 || !slices.Equal(got.Skipped, r.Skipped) {
			t.Errorf("sample %d: JSON skipped = %q, want the %d steps", tc.sample, got.Skipped, len(r.Skipped))
		}
		for _, s := range append(r.Skipped, "sealing the bill", tc.want) {
			if !strings.Contains(table.String(), s) {
				t.Errorf("sample %d: table lacks %q:\n%s", tc.sample, s, table.String())
			}
		}
	}
}

func TestPerSecond(t *testing.T) {
	s := []sample{
		{at: 100 * time.Millisecond, latency: 10 * time.Millisecond},
		{at: 900 * time.Millisecond, latency: 30 * time.Millisecond},
		{at: 2500 * time.Millisecond, latency: 20 * time.Millisecond},
	}
	got := perSecond(s)
	if len(got) != 3 || got[0].Committed != 2 || got[1].Committed != 0 || got[2].Committed != 1 || got[0].P99 != 30 {
		t.Fatalf("perSecond = %+v", got)
	}
}

func TestMedianAndNiceMax(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median(3,1,2) = %v", m)
	}
	if m := median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("median(4,1,2,3) = %v", m)
	}
	for in, want := range map[float64]float64{0: 1, 7: 10, 1234: 2000, 450: 500, 100: 100} {
		if got := niceMax(in); got != want {
			t.Errorf("niceMax(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestProcUsage(t *testing.T) {
	// Burn some CPU so the tick counter moves.
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	cpu, rss, err := procUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if cpu <= 0 || rss < 1024 {
		t.Fatalf("own usage: cpu %v, rss %d kB; want both above zero", cpu, rss)
	}
	if _, _, err := procUsage(1 << 30); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}

func TestKVJobsMatchSizes(t *testing.T) {
	like := [][]job{{{tx: make([]byte, 3000)}, {tx: make([]byte, 3001)}}, {{tx: make([]byte, 40)}}}
	kv := kvJobs(like)
	for c := range like {
		for k := range like[c] {
			tx := kv[c][k].tx
			if len(tx) != len(like[c][k].tx) {
				t.Errorf("kv tx %d/%d: %d bytes, want %d", c, k, len(tx), len(like[c][k].tx))
			}
			if bytes.Count(tx, []byte("=")) != 1 || bytes.HasSuffix(tx, []byte("=")) {
				t.Errorf("kv tx %q is not key=value", tx)
			}
		}
	}
}

func TestConfigRefuses(t *testing.T) {
	for _, c := range []Config{
		{},
		{Count: 10, Cashiers: -1},
		{Count: 10, Items: 1000},
		{Count: 10, Validators: 9},
		{Count: 10, Rate: -1},
		{Count: 10, Baseline: true, Remote: &Remote{}},
	} {
		if err := c.defaults(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestRunEmbedded drives the embedded node and the kvstore baseline with a small count and
// checks that every bill is accounted for and the report carries what the docs quote.
func TestRunEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := Run(ctx, Config{Count: 240, Cashiers: 4, Items: 3, SampleEvery: 40, Baseline: true, Dir: t.TempDir(), Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ebill.Committed != 240 || r.KVStore.Committed != 240 {
		t.Fatalf("committed ebill %d, kvstore %d; want 240 each (errors %v)", r.Ebill.Committed, r.KVStore.Committed, r.Errors)
	}
	if r.Ebill.SubmitIssued == nil || r.Ebill.SubmitIssued.N != 6 || r.Ebill.IssueFailed != 0 {
		t.Fatalf("issued sample %+v, %d failed (errors %v); want 6 issued", r.Ebill.SubmitIssued, r.Ebill.IssueFailed, r.Errors)
	}
	if r.BillsPerS <= 0 || r.KVStoreTxPerS <= 0 || r.RatioToKVStore <= 0 {
		t.Fatalf("rates %v, %v, ratio %v", r.BillsPerS, r.KVStoreTxPerS, r.RatioToKVStore)
	}
	if r.Ebill.TxBytes != r.KVStore.TxBytes || r.Ebill.TxBytes < 2000 {
		t.Errorf("tx sizes ebill %d, kvstore %d: want equal and a sealed bill's size", r.Ebill.TxBytes, r.KVStore.TxBytes)
	}
	if r.Ebill.CPUSeconds <= 0 || r.Ebill.RSSPeakMB <= 0 {
		t.Errorf("no CPU or RSS: %+v", r.Ebill)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"bills_per_s", "kvstore_tx_per_s", "ratio_to_kvstore", "skipped"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	var table strings.Builder
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "× kvstore") {
		t.Errorf("table lacks the ratio:\n%s", table.String())
	}
	var pic bytes.Buffer
	if err := r.WriteChart(&pic); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&pic)
	if err != nil || img.Bounds().Dx() != chartW {
		t.Fatalf("chart: %v, %v", err, img)
	}
	t.Logf("\n%s", table.String())
}

// TestInFlightCap: a cashier whose bills are not committed stops sending at maxInFlight
// and sends again as soon as one is.
func TestInFlightCap(t *testing.T) {
	var sent atomic.Int64
	fake := func(context.Context, []byte) (*ctypes.ResultBroadcastTx, error) {
		sent.Add(1)
		return &ctypes.ResultBroadcastTx{}, nil
	}
	var js []job
	for k := range maxInFlight + 20 {
		js = append(js, job{tx: []byte(fmt.Sprintf("tx-%d", k))})
	}
	l := &load{clients: []broadcaster{fake}, jobs: [][]job{js}, start: time.Now(), until: time.Now().Add(time.Minute)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.cashier(ctx, 0)
	}()
	waitFor := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); sent.Load() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("sent %d, want %d", sent.Load(), n)
			}
		}
		time.Sleep(50 * time.Millisecond)
		if got := sent.Load(); got != n {
			t.Fatalf("sent %d with %d in flight, want %d", got, maxInFlight, n)
		}
	}
	waitFor(maxInFlight)
	l.settleTxs(1, []node.TxOutcome{{Hash: sha256.Sum256(js[0].tx)}, {Hash: sha256.Sum256(js[1].tx)}})
	waitFor(maxInFlight + 2)
	cancel()
	<-done
}

// TestRunProcesses drives 4 validators as processes, and the kvstore baseline as 4 kvnode
// processes, through a whole run: it ends without the closed-store panic of in-process
// testnets, every bill is committed, and CPU and RSS are the children's.
func TestRunProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ebilld and kvnode and starts 8 node processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r, err := Run(ctx, Config{Count: 160, Cashiers: 4, Items: 3, SampleEvery: 40, Validators: 4, Baseline: true,
		Dir: t.TempDir(), Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ebill.Committed != 160 || r.KVStore.Committed != 160 || r.Ebill.Validators != 4 {
		t.Fatalf("committed ebill %d on %d validators, kvstore %d; want 160 each on 4 (errors %v)",
			r.Ebill.Committed, r.Ebill.Validators, r.KVStore.Committed, r.Errors)
	}
	if r.Ebill.SubmitIssued == nil || r.Ebill.SubmitIssued.N != 4 {
		t.Fatalf("issued sample %+v (errors %v); want 4", r.Ebill.SubmitIssued, r.Errors)
	}
	for _, res := range []*Result{r.Ebill, r.KVStore} {
		// Seconds and BlockMS are rounded to hundredths.
		if span := res.BlockMS * float64(res.Blocks); res.Blocks < 1 || math.Abs(span-1000*res.Seconds) > 10+0.01*float64(res.Blocks) {
			t.Errorf("%s: %d blocks, interval %v ms in %v s", res.App, res.Blocks, res.BlockMS, res.Seconds)
		}
	}
	if r.Ebill.CPUSeconds <= 0 || r.KVStore.CPUSeconds <= 0 || r.Ebill.RSSPeakMB < 50 {
		t.Errorf("CPU or RSS of the node processes missing: ebill %+v, kvstore cpu %v", r.Ebill, r.KVStore.CPUSeconds)
	}
}
