// Package hisdrop takes bills from a folder the hospital information system (HIS) exports
// them to: each new JSON file is decoded and submitted, then moved to done/ or to failed/
// with a note saying why. It polls, because a network share does not always deliver
// file-system events, and it has no user interface, so the desktop and its tests share it.
package hisdrop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"ebill/app/bill"
	"ebill/app/service"
)

// Outcome is what became of a file.
type Outcome int

const (
	// Done: submitted, or on the ledger already as this same bill; moved to done/.
	Done Outcome = iota
	// Failed: unreadable, invalid, refused by the ledger, or another bill under a used
	// business serial; moved to failed/ with a note.
	Failed
	// Waiting: left in the folder after a fault that is not the bill's (the network, the
	// desk, the file system), to be tried again.
	Waiting
	// Gone: the file left the folder before it was read (the HIS took it back).
	Gone
)

// Result is what became of one file.
type Result struct {
	File     string // the file's name in the folder
	Outcome  Outcome
	Moved    string           // its name in done/ or failed/: File, or File with a suffix when that was taken
	ID       string           // the bill's ledger id when it was submitted
	Encoding service.Encoding // how its text was read: service.GBK means converted from GBK
	Err      error            // why it failed or waits
	Retry    time.Time        // when a waiting file is tried again; zero when the watch ends first
}

// Submit sends one bill and returns its id.
type Submit func(context.Context, *bill.Bill) (string, error)

// maxBackoff caps the pause before a waiting file is tried again, so that bills go out
// within minutes of the network coming back.
const maxBackoff = 5 * time.Minute

// Watch polls dir every period until ctx ends, submits each *.json file that has not been
// written to for a whole period (so a file the HIS is still writing is left alone), moves it
// to dir/done or dir/failed and reports it. A failed file gets a note beside it,
// NAME.error.txt, for whoever looks after the HIS interface. A file never replaces an
// earlier one of the same name there: it gets a suffix, NAME-2.json.
//
// A file that meets a fault that is not the bill's is left in place, reported as Waiting,
// and tried again after a pause that doubles up to maxBackoff. After a network or desk
// fault the rest of that round is not tried, and each of those files is reported as
// Waiting too, so every file is accounted for each time its turn comes.
func Watch(ctx context.Context, dir string, period time.Duration, submit Submit, report func(Result)) error {
	for _, sub := range []string{"done", "failed"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	w := &watcher{dir: dir, period: period, submit: submit, report: report, waiting: map[string]wait{}}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		w.round(ctx, time.Now())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

type watcher struct {
	dir     string
	period  time.Duration
	submit  Submit
	report  func(Result)
	waiting map[string]wait // files left in the folder after a fault, by name
}

// wait is when a file left in the folder is tried again, after its n-th fault in a row.
type wait struct {
	n  int
	at time.Time
}

// round takes every settled file whose time has come, oldest name first.
func (w *watcher) round(ctx context.Context, now time.Time) {
	names := ready(w.dir, now.Add(-w.period))
	var fault *Result // the network or desk fault that ends this round's submissions
	for _, name := range names {
		if wt, ok := w.waiting[name]; ok && now.Before(wt.at) {
			continue // reported when it was left; its time has not come
		}
		switch {
		case ctx.Err() != nil:
			w.report(Result{File: name, Outcome: Waiting, Err: fmt.Errorf("not tried: %w", ctx.Err())})
		case fault != nil:
			w.waiting[name] = w.waiting[fault.File]
			w.report(Result{File: name, Outcome: Waiting, Retry: fault.Retry,
				Err: fmt.Errorf("not tried after %s: %w", fault.File, fault.Err)})
		default:
			r, wide := w.take(ctx, name)
			if r.Outcome == Waiting && ctx.Err() == nil {
				n := w.waiting[name].n + 1
				r.Retry = time.Now().Add(backoff(w.period, n)) // a try may take a timeout or two
				w.waiting[name] = wait{n: n, at: r.Retry}
			} else {
				delete(w.waiting, name)
			}
			if wide {
				fault = &r
			}
			w.report(r)
		}
	}
	// A file that left the folder, or was written again, starts afresh.
	for name := range w.waiting {
		if _, found := slices.BinarySearch(names, name); !found {
			delete(w.waiting, name)
		}
	}
}

// backoff is the pause after the n-th fault in a row (from 1).
func backoff(period time.Duration, n int) time.Duration {
	return min(period<<min(n-1, 16), max(maxBackoff, period))
}

// ready lists the JSON files last written before settled, oldest name first.
func ready(dir string, settled time.Time) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.Type().IsRegular() || !strings.EqualFold(filepath.Ext(e.Name()), ".json") ||
			info.ModTime().After(settled) {
			continue
		}
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// take reads, submits and moves one file. wide reports a fault that other files would meet
// too: the network or the desk, not this file.
func (w *watcher) take(ctx context.Context, name string) (r Result, wide bool) {
	r = Result{File: name, Outcome: Waiting}
	path := filepath.Join(w.dir, name)
	b, enc, err := read(path)
	r.Encoding = enc
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Outcome, r.Err = Gone, err
		return r, false
	case err != nil && !final(err):
		r.Err = err // a share that is away, a file the HIS holds locked
		return r, false
	case err == nil:
		r.ID, err = w.submit(ctx, b)
		if err != nil && !final(err) {
			r.Err = err
			return r, true
		}
	}
	to, outcome := "done", Done
	if err != nil {
		to, outcome = "failed", Failed
	}
	moved, merr := moveUnique(w.dir, to, name)
	if merr != nil {
		r.Err = errors.Join(err, merr) // still in the folder: the next try moves it
		return r, false
	}
	r.Outcome, r.Moved, r.Err = outcome, moved, err
	if err != nil {
		note := fmt.Sprintf("%s\n%s\n", time.Now().Format(time.RFC3339), describe(err, enc))
		if werr := os.WriteFile(filepath.Join(w.dir, to, moved+".error.txt"), []byte(note), 0o644); werr != nil {
			r.Err = errors.Join(err, werr)
		}
	}
	return r, false
}

// final reports whether err is the bill's own, so that trying again cannot cure it.
func final(err error) bool {
	if service.Retryable(err) {
		return false
	}
	for _, e := range []error{bill.ErrSyntax, service.ErrEncoding, service.ErrInvalid, service.ErrConflict,
		service.ErrRefused, service.ErrNotReader} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func read(path string) (*bill.Bill, service.Encoding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, service.UTF8, err
	}
	defer f.Close()
	return service.ReadBill(f)
}

// moveUnique moves dir/name into dir/sub under its own name, or name-2, name-3… when that
// is taken, and returns the name it got. Creating the target exclusively first claims the
// name on every file system (a network share or a FAT stick has no hard links), so no
// earlier file is replaced; the rename then replaces only that empty claim.
func moveUnique(dir, sub, name string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; ; i++ {
		to := name
		if i > 1 {
			to = fmt.Sprintf("%s-%d%s", stem, i, ext)
		}
		dst := filepath.Join(dir, sub, to)
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("move %q to %s: %w", name, sub, err)
		}
		f.Close()
		if err := os.Rename(filepath.Join(dir, name), dst); err != nil {
			os.Remove(dst)
			return "", fmt.Errorf("move %q to %s: %w", name, sub, err)
		}
		return to, nil
	}
}

// describe writes every problem of an invalid bill on its own line, in Chinese and English,
// and how the file's text was read when it was converted.
func describe(err error, enc service.Encoding) string {
	var s strings.Builder
	if enc != service.UTF8 {
		fmt.Fprintf(&s, "(%s)\n", enc)
	}
	var ps bill.Problems
	if !errors.As(err, &ps) {
		s.WriteString(err.Error())
		return s.String()
	}
	for _, p := range ps {
		fmt.Fprintf(&s, "%s: %s (%s)\n", p.Path, p.ZH, p.EN)
	}
	return s.String()
}
