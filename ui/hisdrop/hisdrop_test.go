package hisdrop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"ebill/app/bill"
	"ebill/app/service"
)

// TestWatch drops HIS files into a watched folder and follows each to where it ends: a good
// bill in done/, a broken, refused or conflicting one in failed/ with a note that says why,
// a bill that met a network or desk fault still in the folder (and submitted once the
// network is back), an earlier done/ file of the same name kept, a GBK file read as GBK.
func TestWatch(t *testing.T) {
	created := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	encode := func(serial string) []byte {
		var buf bytes.Buffer
		if err := bill.Sample(bill.Outpatient, "H1", serial, 2, created).Encode(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes(encode("S-G"))
	if err != nil || bytes.Equal(gbk, encode("S-G")) {
		t.Fatalf("the sample has no Chinese to encode: %v", err)
	}
	down := fmt.Errorf("submit: %w", service.ErrNetworkDown)
	accept := func(_ int, b *bill.Bill) (string, error) { return bill.ID(b.OrgCode, b.Serial), nil }

	tests := []struct {
		name     string
		files    map[string][]byte // in the folder, or in done/ or failed/ beforehand
		submit   func(call int, b *bill.Bill) (string, error)
		want     map[string]Outcome // the last outcome of each file; Waiting: seen twice
		exist    []string
		absent   []string
		contains map[string]string // a file and what it must say
		waited   map[string]string // a file and what one of its Waiting results says
	}{{
		name: "done, broken, refused",
		files: map[string][]byte{"a.json": encode("S-1"), "b.json": []byte(`{"kind":`),
			"c.json": encode("S-3"), "notes.txt": []byte("not a bill")},
		submit: func(call int, b *bill.Bill) (string, error) {
			if b.Serial == "S-3" {
				return "", fmt.Errorf("submit: %w: code 12", service.ErrRefused)
			}
			return accept(call, b)
		},
		want:     map[string]Outcome{"a.json": Done, "b.json": Failed, "c.json": Failed},
		exist:    []string{"done/a.json", "failed/b.json", "failed/c.json", "notes.txt"},
		contains: map[string]string{"failed/b.json.error.txt": "line 1", "failed/c.json.error.txt": "refused by the ledger"},
	}, {
		name:  "network down, then back",
		files: map[string][]byte{"a.json": encode("S-1"), "b.json": encode("S-2")},
		submit: func(call int, b *bill.Bill) (string, error) {
			if call <= 3 {
				return "", down
			}
			return accept(call, b)
		},
		want:   map[string]Outcome{"a.json": Done, "b.json": Done},
		exist:  []string{"done/a.json", "done/b.json"},
		absent: []string{"failed/a.json", "failed/b.json"},
		waited: map[string]string{"a.json": "network down", "b.json": "not tried after a.json: submit: network down"},
	}, {
		name:   "timeout",
		files:  map[string][]byte{"a.json": encode("S-1")},
		submit: func(int, *bill.Bill) (string, error) { return "", fmt.Errorf("submit: %w", service.ErrTimeout) },
		want:   map[string]Outcome{"a.json": Waiting},
		exist:  []string{"a.json"},
		absent: []string{"failed/a.json", "done/a.json"},
	}, {
		name:  "trust root expired",
		files: map[string][]byte{"a.json": encode("S-1")},
		submit: func(int, *bill.Bill) (string, error) {
			return "", fmt.Errorf("submit: %w", service.ErrTrustExpired)
		},
		want:   map[string]Outcome{"a.json": Waiting},
		exist:  []string{"a.json"},
		absent: []string{"failed/a.json"},
	}, {
		name:  "serial conflict",
		files: map[string][]byte{"a.json": encode("S-1")},
		submit: func(_ int, b *bill.Bill) (string, error) {
			return "", fmt.Errorf("submit %q: %w: bill %s on the ledger has this serial and other content",
				b.Serial, service.ErrConflict, bill.ID(b.OrgCode, b.Serial))
		},
		want:     map[string]Outcome{"a.json": Failed},
		absent:   []string{"done/a.json"},
		contains: map[string]string{"failed/a.json.error.txt": `"S-1": business serial used by another bill: bill ` + bill.ID("H1", "S-1")},
	}, {
		name: "done file of the same name kept",
		files: map[string][]byte{"a.json": encode("S-9"), "done/a.json": []byte("first"),
			"done/a-2.json": []byte("second"), "failed/b.json": []byte("old"), "b.json": []byte("{")},
		submit:   accept,
		want:     map[string]Outcome{"a.json": Done, "b.json": Failed},
		contains: map[string]string{"done/a.json": "first", "done/a-2.json": "second", "done/a-3.json": "S-9", "failed/b.json": "old", "failed/b-2.json": "{"},
		exist:    []string{"failed/b-2.json.error.txt"},
		absent:   []string{"failed/b.json.error.txt"},
	}, {
		name:     "gbk",
		files:    map[string][]byte{"g.json": gbk, "x.json": []byte("{\"payer\": \"Zo\xEB\"}")},
		submit:   accept,
		want:     map[string]Outcome{"g.json": Done, "x.json": Failed},
		exist:    []string{"done/g.json"},
		contains: map[string]string{"failed/x.json.error.txt": "neither utf-8 nor gbk: byte 0xEB at offset 13"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				old := time.Now().Add(-time.Minute) // settled: the HIS finished writing it
				if err := os.Chtimes(path, old, old); err != nil {
					t.Fatal(err)
				}
			}
			got := watch(t, dir, tt.want, tt.submit)
			for name, want := range tt.want {
				rs := got[name]
				if last := rs[len(rs)-1]; last.Outcome != want {
					t.Errorf("%s: %+v, want outcome %d", name, last, want)
				}
				for _, r := range rs {
					if r.Outcome == Waiting && r.Retry.IsZero() {
						t.Errorf("%s: waiting without a time to retry: %+v", name, r)
					}
				}
			}
			if r := got["g.json"]; len(r) > 0 && r[0].Encoding != service.GBK {
				t.Errorf("g.json read as %v", r[0].Encoding)
			}
			for name, want := range tt.waited {
				if !slices.ContainsFunc(got[name], func(r Result) bool {
					return r.Outcome == Waiting && strings.Contains(r.Err.Error(), want)
				}) {
					t.Errorf("%s: no Waiting result saying %q: %+v", name, want, got[name])
				}
			}
			for _, p := range tt.exist {
				if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
					t.Error(err)
				}
			}
			for _, p := range tt.absent {
				if _, err := os.Stat(filepath.Join(dir, p)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s: %v, want it absent", p, err)
				}
			}
			for p, want := range tt.contains {
				data, err := os.ReadFile(filepath.Join(dir, p))
				if err != nil || !strings.Contains(string(data), want) {
					t.Errorf("%s: %q, %v; want it to say %q", p, data, err, want)
				}
			}
		})
	}
}

// watch runs Watch on dir until every file of want has reached its outcome (a Waiting one
// twice), and returns the results of each file in order.
func watch(t *testing.T, dir string, want map[string]Outcome, submit func(int, *bill.Bill) (string, error)) map[string][]Result {
	t.Helper()
	var mu sync.Mutex
	calls := 0
	sub := func(_ context.Context, b *bill.Bill) (string, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		return submit(n, b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan Result)
	stopped := make(chan error)
	go func() { stopped <- Watch(ctx, dir, 10*time.Millisecond, sub, func(r Result) { results <- r }) }()
	got := map[string][]Result{}
	reached := func() bool {
		for name, o := range want {
			rs := got[name]
			switch {
			case len(rs) == 0, rs[len(rs)-1].Outcome != o:
				return false
			case o == Waiting && len(rs) < 2:
				return false
			}
		}
		return true
	}
	deadline := time.After(10 * time.Second)
	for !reached() {
		select {
		case r := <-results:
			got[r.File] = append(got[r.File], r)
		case <-deadline:
			t.Fatalf("results after 10 s: %+v", got)
		}
	}
	cancel()
	for {
		select {
		case r := <-results: // what the last round met as the watch ended
			if r.Outcome != Waiting {
				t.Errorf("after the end: %+v", r)
			}
		case err := <-stopped:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Watch: %v", err)
			}
			return got
		}
	}
}
