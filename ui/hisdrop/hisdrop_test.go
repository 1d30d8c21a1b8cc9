package hisdrop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ebill/app/bill"
)

// TestWatch drops a good bill, a broken file and a bill the ledger refuses into the folder:
// the first lands in done/, the others in failed/ with a note, and nothing is left behind.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	created := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	write := func(name string, b *bill.Bill, raw string) {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if b != nil {
			err = b.Encode(f)
		} else {
			_, err = f.WriteString(raw)
		}
		if err := errors.Join(err, f.Close()); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Minute) // settled: the HIS finished writing it
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	write("a.json", bill.Sample(bill.Outpatient, "H1", "S-1", 2, created), "")
	write("b.json", nil, `{"kind":`)
	write("c.json", bill.Sample(bill.Outpatient, "H1", "S-3", 2, created), "")
	write("notes.txt", nil, "not a bill")

	refused := errors.New("refused")
	submit := func(_ context.Context, b *bill.Bill) (string, error) {
		if b.Serial == "S-3" {
			return "", refused
		}
		return bill.ID(b.OrgCode, b.Serial), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan Result, 10)
	go Watch(ctx, dir, 10*time.Millisecond, submit, func(r Result) { results <- r })
	got := map[string]Result{}
	deadline := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case r := <-results:
			got[r.File] = r
		case <-deadline:
			t.Fatalf("results after 10 s: %v", got)
		}
	}
	cancel()
	if r := got["a.json"]; r.Err != nil || r.ID != bill.ID("H1", "S-1") {
		t.Errorf("a.json: %+v", r)
	}
	if r := got["b.json"]; !errors.Is(r.Err, bill.ErrSyntax) {
		t.Errorf("b.json: %+v", r)
	}
	if r := got["c.json"]; !errors.Is(r.Err, refused) {
		t.Errorf("c.json: %+v", r)
	}
	for _, p := range []string{"done/a.json", "failed/b.json", "failed/b.json.error.txt", "failed/c.json",
		"failed/c.json.error.txt", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
}
