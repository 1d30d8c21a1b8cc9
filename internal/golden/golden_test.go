package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps the failures instead of failing.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(r)
}

// run calls Equal under the flags given and returns the failures.
func run(t *testing.T, up, upFrozen bool, path string, got string) (failures []string) {
	t.Helper()
	defer func(u, f bool) { *update, *frozen = u, f }(*update, *frozen)
	*update, *frozen = up, upFrozen
	r := &recorder{TB: t}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		failures = r.failed
	}()
	EqualString(r, path, got)
	return r.failed
}

func TestEqual(t *testing.T) {
	for _, tc := range []struct {
		name         string
		file         string // below a fresh directory; holds "old"
		got          string
		update, froz bool
		fails        string // substring of the failure; "" passes
		after        string // the file's content afterwards
	}{
		{"same", "testdata/out.txt", "old", false, false, "", "old"},
		{"differs", "testdata/out.txt", "new", false, false, "accept with -update", "old"},
		{"update rewrites", "testdata/out.txt", "new", true, false, "", "new"},
		{"vector same", "testdata/vectors/tx.hex", "old", false, false, "", "old"},
		{"vector differs", "testdata/vectors/tx.hex", "new", false, false, "protocol vector", "old"},
		{"update refuses a vector", "testdata/vectors/tx.hex", "new", true, false, "-update-frozen-protocol-v2", "old"},
		{"update passes an unchanged vector", "testdata/vectors/tx.hex", "old", true, false, "", "old"},
		{"frozen flag rewrites a vector", "testdata/vectors/tx.hex", "new", false, true, "", "new"},
		{"nested vector", "testdata/vectors/v2/hash.hex", "new", true, false, "protocol vector", "old"},
		{"a file named vectors is no vector", "testdata/vectors", "new", true, false, "", "new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			failures := run(t, tc.update, tc.froz, path, tc.got)
			switch {
			case tc.fails == "" && len(failures) > 0:
				t.Errorf("failed: %q", failures)
			case tc.fails != "" && (len(failures) != 1 || !strings.Contains(failures[0], tc.fails)):
				t.Errorf("failures %q, want one saying %q", failures, tc.fails)
			}
			if data, _ := os.ReadFile(path); string(data) != tc.after {
				t.Errorf("file holds %q afterwards, want %q", data, tc.after)
			}
			failed := filepath.Join(filepath.Dir(path), "failed", filepath.Base(path))
			if data, err := os.ReadFile(failed); tc.fails != "" && string(data) != tc.got {
				t.Errorf("testdata/failed copy: %q, %v; want %q", data, err, tc.got)
			}
		})
	}
}

func TestMissingFileFails(t *testing.T) {
	failures := run(t, false, false, filepath.Join(t.TempDir(), "testdata", "none.txt"), "x")
	if len(failures) != 1 || !strings.Contains(failures[0], "-update") {
		t.Errorf("failures %q, want one pointing at -update", failures)
	}
}
