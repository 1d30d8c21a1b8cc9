package files_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ebill/internal/files"
)

var errRender = errors.New("render failed")

// Replace leaves the target whole whatever fails, and no temporary file behind.
func TestReplace(t *testing.T) {
	writes := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	for _, tc := range []struct {
		name  string
		old   string // "" means no file
		path  string // in the test's directory
		write func(io.Writer) error
		want  string // content afterwards; "" means no file
		fails bool
		is    error // what the error wraps, if set
	}{
		{"new file", "", "bill.pdf", writes("new"), "new", false, nil},
		{"over an old file", "old", "bill.pdf", writes("new"), "new", false, nil},
		{"failed write", "old", "bill.pdf", func(w io.Writer) error {
			io.WriteString(w, "half")
			return errRender
		}, "old", true, errRender},
		{"missing directory", "", "gone/bill.pdf", writes("new"), "", true, fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.path)
			if tc.old != "" {
				if err := os.WriteFile(path, []byte(tc.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := files.Replace(path, 0o640, tc.write)
			if (err != nil) != tc.fails || tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want failure %v wrapping %v", err, tc.fails, tc.is)
			}
			got, rerr := os.ReadFile(path)
			if tc.want == "" && !errors.Is(rerr, fs.ErrNotExist) || tc.want != "" && string(got) != tc.want {
				t.Errorf("file holds %q (%v), want %q", got, rerr, tc.want)
			}
			if info, serr := os.Stat(path); err == nil && serr == nil && info.Mode().Perm() != 0o640 {
				t.Errorf("written with mode %v, want 0640", info.Mode().Perm())
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != filepath.Base(tc.path) {
					t.Errorf("left %s behind", e.Name())
				}
			}
		})
	}
}

// The files of a TempDir share one private directory, which Remove deletes; one that a sweep
// took away is replaced by a new one.
func TestTempDir(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	d := files.NewTempDir("ebill-pdf-")
	write := func(s string) (string, error) {
		return d.Write("bill.pdf", func(w io.Writer) error { _, err := io.WriteString(w, s); return err })
	}
	a, err := write("a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := write("b")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(a)
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 || filepath.Dir(dir) != os.TempDir() ||
		!strings.HasPrefix(filepath.Base(dir), "ebill-pdf-") {
		t.Fatalf("directory %s: %v, %v; want 0700 in %s, named ebill-pdf-*", dir, info.Mode(), err, os.TempDir())
	}
	if a == b || filepath.Dir(b) != dir || !strings.HasSuffix(a, "-bill.pdf") {
		t.Errorf("files %s and %s: want two names in one directory, ending in -bill.pdf", a, b)
	}
	if got, _ := os.ReadFile(a); string(got) != "a" {
		t.Errorf("%s holds %q", a, got)
	}
	if _, err := d.Write("bad.pdf", func(io.Writer) error { return errRender }); !errors.Is(err, errRender) {
		t.Errorf("failed write: err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the directory after a failed write, want 2", len(entries))
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	c, err := write("c")
	if err != nil || filepath.Dir(c) == dir {
		t.Fatalf("write after the directory was swept: %s, %v; want a new directory", c, err)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(c)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Remove: %v, want the directory gone", err)
	}
}

// SweepTemp removes only this user's TempDirs that have not changed for maxAge.
func TestSweepTemp(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	for _, tc := range []struct {
		name      string
		dir       bool
		age       time.Duration
		otherUser bool
		kept      bool
	}{
		{"ebill-pdf-crashed", true, 48 * time.Hour, false, false},
		{"ebill-pdf-running", true, time.Hour, false, true},
		{"ebill-pdf-of-another-user", true, 48 * time.Hour, true, true},
		{"ebill-pdf-a-file", false, 48 * time.Hour, false, true},
		{"other-program", true, 48 * time.Hour, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.otherUser && os.Getuid() != 0 {
				t.Skip("making a file of another user takes root")
			}
			path := filepath.Join(os.TempDir(), tc.name)
			var err error
			if tc.dir {
				err = errors.Join(os.Mkdir(path, 0o700), os.WriteFile(filepath.Join(path, "bill.pdf"), nil, 0o600))
			} else {
				err = os.WriteFile(path, nil, 0o600)
			}
			if tc.otherUser {
				err = errors.Join(err, os.Chown(path, 65534, 65534))
			}
			then := time.Now().Add(-tc.age)
			if err = errors.Join(err, os.Chtimes(path, then, then)); err != nil {
				t.Fatal(err)
			}
			if err := files.SweepTemp("ebill-pdf-", 24*time.Hour); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(path); tc.kept != (err == nil) {
				t.Errorf("after the sweep: %v; want kept %v", err, tc.kept)
			}
		})
	}
}
