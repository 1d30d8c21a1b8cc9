// Package hisdrop takes bills from a folder the hospital information system (HIS) exports
// them to: each new JSON file is decoded and submitted, then moved to done/ or to failed/
// with a note saying why. It polls, because a network share does not always deliver
// file-system events, and it has no user interface, so the desktop and its tests share it.
package hisdrop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"ebill/app/bill"
)

// Result is what became of one file.
type Result struct {
	File string // the file's name in the folder
	ID   string // the bill's ledger id when it was submitted
	Err  error
}

// Submit sends one bill and returns its id.
type Submit func(context.Context, *bill.Bill) (string, error)

// Watch polls dir every period until ctx ends, submits each *.json file that has not been
// written to for a whole period (so a file the HIS is still writing is left alone), moves it
// to dir/done or dir/failed and reports it. A failed file gets a note beside it,
// NAME.error.txt, for whoever looks after the HIS interface.
func Watch(ctx context.Context, dir string, period time.Duration, submit Submit, report func(Result)) error {
	for _, sub := range []string{"done", "failed"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		for _, name := range ready(dir, time.Now().Add(-period)) {
			if ctx.Err() != nil {
				break
			}
			report(take(ctx, dir, name, submit))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
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
	sort.Strings(names)
	return names
}

func take(ctx context.Context, dir, name string, submit Submit) Result {
	r := Result{File: name}
	path := filepath.Join(dir, name)
	b, err := decode(path)
	if err == nil {
		r.ID, err = submit(ctx, b)
	}
	if errors.Is(err, context.Canceled) {
		return Result{File: name, Err: err} // left in place for the next run
	}
	r.Err = err
	to := "done"
	if err != nil {
		to = "failed"
		note := fmt.Sprintf("%s\n%s\n", time.Now().Format(time.RFC3339), describe(err))
		if werr := os.WriteFile(filepath.Join(dir, to, name+".error.txt"), []byte(note), 0o644); werr != nil {
			r.Err = errors.Join(err, werr)
		}
	}
	if merr := os.Rename(path, filepath.Join(dir, to, name)); merr != nil {
		r.Err = errors.Join(r.Err, merr)
	}
	return r
}

func decode(path string) (*bill.Bill, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return bill.Decode(io.LimitReader(f, bill.MaxInput))
}

// describe writes every problem of an invalid bill on its own line, in Chinese and English.
func describe(err error) string {
	var ps bill.Problems
	if !errors.As(err, &ps) {
		return err.Error()
	}
	var s strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&s, "%s: %s (%s)\n", p.Path, p.ZH, p.EN)
	}
	return s.String()
}
