package bench

import (
	"math"
	"slices"
	"time"
)

// Latency summarises a set of latencies in milliseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// summarise computes the percentiles by the nearest-rank method, so every figure is a
// latency that was measured.
func summarise(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return ms(s[max(i, 0)])
	}
	return Latency{N: len(s), P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// sample is one transaction seen committed: when (since the load began) and how long after
// it was sent.
type sample struct {
	at, latency time.Duration
}

// Second is one second of a run, for the chart and the JSON time series.
type Second struct {
	T         int     `json:"t"` // seconds since the load began
	Committed int     `json:"committed"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
}

// perSecond buckets samples by the second they were committed in.
func perSecond(samples []sample) []Second {
	var buckets [][]time.Duration
	for _, s := range samples {
		i := int(s.at / time.Second)
		for len(buckets) <= i {
			buckets = append(buckets, nil)
		}
		buckets[i] = append(buckets[i], s.latency)
	}
	out := make([]Second, len(buckets))
	for i, b := range buckets {
		l := summarise(b)
		out[i] = Second{T: i, Committed: len(b), P50: l.P50, P99: l.P99}
	}
	return out
}

func latencies(samples []sample) []time.Duration {
	out := make([]time.Duration, len(samples))
	for i, s := range samples {
		out[i] = s.latency
	}
	return out
}

// median of a few runs' figures, for the repeated runs the docs report.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Summary is the median of repeated runs, the figure the docs quote.
type Summary struct {
	Runs           int       `json:"runs"`
	BillsPerS      float64   `json:"bills_per_s"`
	KVStoreTxPerS  float64   `json:"kvstore_tx_per_s,omitempty"`
	RatioToKVStore float64   `json:"ratio_to_kvstore,omitempty"`
	P99CommittedMS float64   `json:"p99_submit_committed_ms"`
	BlockMS        float64   `json:"block_interval_ms"`
	P99IssuedMS    float64   `json:"p99_submit_issued_ms,omitempty"`
	Skipped        []string  `json:"skipped"` // as in each report
	Reports        []*Report `json:"reports"`
}

// Summarise takes the median of each figure over the runs.
func Summarise(rs []*Report) *Summary {
	var bills, kv, ratio, p99, block, issued []float64
	for _, r := range rs {
		bills = append(bills, r.BillsPerS)
		p99 = append(p99, r.Ebill.SubmitCommitted.P99)
		block = append(block, r.Ebill.BlockMS)
		if r.Ebill.SubmitIssued != nil {
			issued = append(issued, r.Ebill.SubmitIssued.P99)
		}
		if r.KVStore != nil {
			kv = append(kv, r.KVStoreTxPerS)
			ratio = append(ratio, r.RatioToKVStore)
		}
	}
	return &Summary{Runs: len(rs), BillsPerS: median(bills), KVStoreTxPerS: median(kv), RatioToKVStore: median(ratio),
		P99CommittedMS: median(p99), BlockMS: median(block), P99IssuedMS: median(issued), Skipped: rs[0].Skipped, Reports: rs}
}
