package bench

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as a table, one column per app.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	results := []*Result{r.Ebill}
	if r.KVStore != nil {
		results = append(results, r.KVStore)
	}
	row := func(name string, f func(*Result) string) {
		fmt.Fprint(tw, name+"\t")
		for _, res := range results {
			fmt.Fprint(tw, f(res)+"\t")
		}
		fmt.Fprintln(tw)
	}
	lat := func(l *Latency) string {
		if l == nil || l.N == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f / %.0f / %.0f ms (n=%d)", l.P50, l.P90, l.P99, l.N)
	}
	row("", func(res *Result) string { return res.App })
	row("validators", func(res *Result) string { return fmt.Sprint(res.Validators) })
	row("tx bytes", func(res *Result) string { return fmt.Sprint(res.TxBytes) })
	row("sent / committed / refused", func(res *Result) string {
		return fmt.Sprintf("%d / %d / %d", res.Sent, res.Committed, res.Refused)
	})
	row("committed per second", func(res *Result) string { return fmt.Sprintf("%.1f", res.TxPerS) })
	row("block interval", func(res *Result) string { return fmt.Sprintf("%.0f ms (%d blocks)", res.BlockMS, res.Blocks) })
	row("submit→committed p50/p90/p99", func(res *Result) string { return lat(&res.SubmitCommitted) })
	row("submit→verified issued p50/p90/p99", func(res *Result) string { return lat(res.SubmitIssued) })
	row("CPU cores (µs per tx)", func(res *Result) string {
		return fmt.Sprintf("%.2f (%.0f)", res.CPUCores, res.CPUPerTxUS)
	})
	row("peak RSS", func(res *Result) string { return fmt.Sprintf("%.0f MB", res.RSSPeakMB) })
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d cashiers, %d items a bill; %d CPUs, load average %s\n", r.Cashiers, r.Items, r.Machine.CPUs, r.Machine.LoadAvg)
	if r.KVStore != nil {
		fmt.Fprintf(w, "ebill %.1f bills/s = %.2f× kvstore %.1f tx/s\n", r.BillsPerS, r.RatioToKVStore, r.KVStoreTxPerS)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "last error: %s\n", e)
	}
	fmt.Fprintln(w, "not measured (the load signs ledger transactions, not the desk's steps):")
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "  - %s\n", s)
	}
	return nil
}
