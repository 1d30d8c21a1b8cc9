// Package files writes files so that a failure or a crash leaves the old content or the
// new one, never a mix, and keeps temporary files with patient data in one private place
// that does not outlive the program.
package files

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Replace makes path hold what write writes, with permissions perm, all or nothing: write
// fills a temporary file in path's directory (a rename is atomic only within one file
// system), which is synced and renamed over path. Until then path keeps its old content, so
// a failed write, sync or rename leaves it as it was; the temporary file is removed on every
// path. Errors of write are returned as they are.
func Replace(path string, perm fs.FileMode, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := errors.Join(tmp.Chmod(perm), tmp.Sync()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes a rename, link or removal in dir durable. Windows cannot sync directories
// and makes metadata durable itself.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// TempDir is a private directory (0700) in os.TempDir() for one program's temporary files,
// such as the PDFs the desk hands to the system viewer. They hold patient data: kept apart
// from other users and removed together when the program ends, instead of piling up in the
// shared temporary directory. The directory is made at first use.
type TempDir struct {
	prefix string
	mu     sync.Mutex
	dir    string // "" until the first file, or after Remove
}

// NewTempDir returns a TempDir whose directory will be named prefix followed by random
// characters, which is what SweepTemp looks for.
func NewTempDir(prefix string) *TempDir { return &TempDir{prefix: prefix} }

// Write creates a file in the directory, named name after a random part so that names never
// collide, with what write writes, and returns its path. A failed write leaves no file.
// Errors of write are returned as they are.
func (d *TempDir) Write(name string, write func(io.Writer) error) (string, error) {
	f, err := d.create(name)
	if err != nil {
		return "", err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func (d *TempDir) create(name string) (*os.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dir != "" {
		f, err := os.CreateTemp(d.dir, "*-"+name)
		// Gone: the sweep of another run of the same user took it after a day without a
		// new file. Its name may be taken by now, so a new directory replaces it.
		if !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
	}
	dir, err := os.MkdirTemp("", d.prefix+"*") // 0700
	if err != nil {
		return nil, err
	}
	d.dir = dir
	return os.CreateTemp(dir, "*-"+name)
}

// Remove deletes the directory and every file in it; the next Write makes a new one. A
// viewer that still has a file open may keep Windows from deleting it: SweepTemp does on a
// later start.
func (d *TempDir) Remove() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dir == "" {
		return nil
	}
	err := os.RemoveAll(d.dir)
	d.dir = ""
	return err
}

// SweepTemp removes the directories of TempDirs with prefix that runs of this program left
// in os.TempDir() when they crashed or were killed: those this user owns whose last change
// is older than maxAge. The age keeps it off the directory of another run that is still
// going; a day is longer than any desk keeps a PDF open between two others, and short
// enough that patient data does not linger.
func SweepTemp(prefix string, maxAge time.Duration) error {
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || !ownedByMe(info) || time.Since(info.ModTime()) < maxAge {
			continue // a directory already gone, another user's, or in use
		}
		if err := os.RemoveAll(filepath.Join(os.TempDir(), e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
