package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/cmd/internal/cmdline"
)

// submitted is the outcome of one file of a batch.
type submitted struct {
	File     string    `json:"file"`
	ID       string    `json:"id,omitempty"`
	Status   string    `json:"status,omitempty"`
	Height   int64     `json:"height,omitempty"`
	Existed  bool      `json:"existed,omitempty"`  // the ledger already held this same bill
	Encoding string    `json:"encoding,omitempty"` // how the file was read, when not plain UTF-8
	Error    string    `json:"error,omitempty"`
	Problems []problem `json:"problems,omitempty"`

	err error
}

func init() {
	program.Register(cmdline.Command[*cli]{Name: "submit", Args: "FILE|DIR …", Run: (*cli).cmdSubmit,
		Usage: "sign, encrypt and upload bills",
		Help: `A directory: every *.json in it, a HIS batch. Each file is reported; a bad one does
not stop the others. A file may be UTF-8 or GBK (a Chinese Windows HIS); another bill
under a business serial already used fails as a conflict.`})
}

func (c *cli) cmdSubmit(args []string) error {
	pos, err := parse(c.flags("submit"), args, 1, -1, "bill FILEs or a DIR of them")
	if err != nil {
		return err
	}
	files, err := billFiles(pos)
	if err != nil {
		return err
	}
	results := make([]submitted, len(files))
	var bills []*bill.Bill
	var at []int // results index of each bill
	for i, f := range files {
		results[i].File = f
		b, enc, err := readBill(f)
		results[i].Encoding = encodingNote(enc)
		if err != nil {
			results[i].fail(err)
			continue
		}
		bills, at = append(bills, b), append(at, i)
	}
	if len(bills) > 0 {
		err := c.onDesk(func(ctx context.Context, d *service.Desk) error {
			for _, r := range d.SubmitBatch(ctx, bills, quiet) {
				res := &results[at[r.Index]]
				if r.Err != nil {
					res.fail(r.Err)
					continue
				}
				s := summarize(r.View)
				res.ID, res.Status, res.Height, res.Existed = s.ID, s.Status, s.Height, r.View.Existed
			}
			return nil
		})
		if err != nil {
			// Nothing was sent: the network or the identity is not usable. Each bill says
			// so beside the files that could not be read.
			for _, i := range at {
				results[i].fail(fmt.Errorf("not sent: %w", err))
			}
		}
	}
	return c.printSubmitted(results)
}

// readAs says how the file was read, when it was not plain UTF-8.
func (r *submitted) readAs() string {
	if r.Encoding == "" {
		return ""
	}
	return ", " + r.Encoding
}

func (r *submitted) fail(err error) {
	r.err, r.Error, r.Problems = err, err.Error(), problems(err)
}

// billFiles expands directories to the *.json files in them (any case), in name order: a HIS
// drops a batch into a directory.
func billFiles(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, inputErr(fmt.Errorf("submit: %w", err))
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, inputErr(fmt.Errorf("submit: %w", err))
		}
		n := len(files)
		for _, e := range entries { // in name order
			// A Windows HIS may well write NAME.JSON.
			if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".json") {
				files = append(files, filepath.Join(a, e.Name()))
			}
		}
		if len(files) == n {
			return nil, inputErr(fmt.Errorf("submit: no *.json files in %s", a))
		}
	}
	return files, nil
}

func (c *cli) printSubmitted(results []submitted) error {
	var failed []error
	for _, r := range results {
		if r.err != nil {
			failed = append(failed, r.err)
		}
	}
	if c.json {
		if err := c.printJSON(map[string]any{"results": results, "submitted": len(results) - len(failed), "failed": len(failed)}); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			switch {
			case r.err != nil:
				fmt.Fprintf(c.stdout, "FAILED  %s: %s\n", r.File, r.Error)
				for _, p := range r.Problems {
					fmt.Fprintf(c.stdout, "        %s\n", p)
				}
			case r.Existed:
				fmt.Fprintf(c.stdout, "exists  %s: %s %s (height %d)%s\n", r.File, r.ID, r.Status, r.Height, r.readAs())
			default:
				fmt.Fprintf(c.stdout, "ok      %s: %s %s (height %d)%s\n", r.File, r.ID, r.Status, r.Height, r.readAs())
			}
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(failed) == len(results):
		// One cause for all (the network is down, the only file is unreadable) decides the
		// exit code: the first bill that could be read and was not sent says it best.
		cause := failed[0]
		if i := slices.IndexFunc(failed, func(err error) bool { return !errors.Is(err, errInput) }); i >= 0 {
			cause = failed[i]
		}
		return fmt.Errorf("submit: %d of %d bills failed: %w", len(failed), len(results), cause)
	default:
		return fmt.Errorf("submit: %d of %d bills failed", len(failed), len(results))
	}
}
