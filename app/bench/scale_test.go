package bench

import (
	"testing"
)

// TestScale is the short run of the scale benchmark: 20,000 bills (2,000 under the race
// detector) and the empty ledger, each filled through the ledger's ABCI calls with
// pruning to the latest five versions, snapshotted and restored into a fresh ledger; every
// bill must prove and its payload be served from both the pruned ledger and the restored
// one. The figures are not judged here (a loaded machine moves them); that each measure is
// made and sensible is.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a ledger")
	}
	n := 20000
	if raceEnabled {
		n = 2000
	}
	points, err := Scale(t.Context(), ScaleConfig{StateBills: []int{0, n}, Dir: t.TempDir(), Measure: 2000, Reads: 300,
		Block: 500, Keep: 5, VerifyAll: true, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range points {
		if p.BillsPerS <= 0 || p.ReadP99Ms <= 0 || p.ProofBytes <= 0 || p.StateBytesPerBill <= 0 || p.PayloadBytesPerBill < 2600 || p.RestartS <= 0 ||
			p.RestoreS <= 0 || p.SnapshotBytesPerBill < 2600 {
			t.Errorf("state %d: a measure is missing: %+v", p.StateBills, p)
		}
	}
	if points[1].RatioToEmpty <= 0 || points[1].ProofBytes <= points[0].ProofBytes {
		t.Errorf("at %d bills: ratio %.2f, proof %d B (empty: %d B): the state did not grow the tree",
			points[1].StateBills, points[1].RatioToEmpty, points[1].ProofBytes, points[0].ProofBytes)
	}
}
