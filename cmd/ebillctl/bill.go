package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/cmd/internal/cmdline"
	"ebill/internal/files"
	"ebill/render"
)

func init() {
	program.Register(cmdline.Command[*cli]{Name: "bill validate", Args: "FILE",
		Usage: "check a bill (HIS JSON, docs/bill-json.md): every problem",
		Help:  `One problem a line, as "path: 中文 / English". A file in GBK is read as GBK, and says so.`,
		Run: func(c *cli, args []string) error {
			pos, err := parse(c.flags("bill validate"), args, 1, 1, "a bill FILE")
			if err != nil {
				return err
			}
			return c.billValidate(pos[0])
		}})
	program.Register(cmdline.Command[*cli]{Name: "bill preview", Args: "FILE --out X.pdf",
		Usage: "draw the draft PDF (预览, no number); no ledger needed",
		Run: func(c *cli, args []string) error {
			path, out, err := parseOut(c.flags("bill preview"), args, "a bill FILE", "X.pdf")
			if err != nil {
				return err
			}
			return c.billPreview(path, out)
		}})
}

// readBill decodes a bill file in UTF-8 or GBK, and says which when it is not plain UTF-8.
// A file that cannot be read, is in another encoding or is not bill JSON is input error
// (exit 2), named as file:line:column when an editor can jump there.
func readBill(path string) (*bill.Bill, service.Encoding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, service.UTF8, inputErr(fmt.Errorf("read bill: %w", err))
	}
	defer f.Close()
	b, enc, err := service.ReadBill(f)
	var se *bill.SyntaxError
	switch {
	case errors.As(err, &se):
		at := ""
		if se.Path != "" {
			at = se.Path + ": "
		}
		return nil, enc, inputErr(fmt.Errorf("%s:%d:%d: %s%v", path, se.Line, se.Col, at, se.Err))
	case err != nil:
		return nil, enc, inputErr(fmt.Errorf("%s: %w", path, err))
	}
	return b, enc, nil
}

// encodingNote is how a file was read, for the JSON results: empty for plain UTF-8.
func encodingNote(enc service.Encoding) string {
	if enc == service.UTF8 {
		return ""
	}
	return enc.String()
}

// noteGBK tells the user that a file was converted from GBK, so that they check its text.
func (c *cli) noteGBK(path string, enc service.Encoding) {
	if enc == service.GBK && !c.json {
		fmt.Fprintf(c.stdout, "note: %s %s\n", path, enc)
	}
}

// problem is bill.Problem as --json prints it.
type problem struct {
	Path string `json:"path"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

func problemsOf(ps []bill.Problem) []problem {
	out := make([]problem, len(ps))
	for i, p := range ps {
		out[i] = problem(p)
	}
	return out
}

func (p problem) String() string { return fmt.Sprintf("%s: %s / %s", p.Path, p.ZH, p.EN) }

// problems returns the broken rules of an error of Validate, or nil for any other error.
func problems(err error) []problem {
	var ps bill.Problems
	if errors.As(err, &ps) {
		return problemsOf(ps)
	}
	return nil
}

func (c *cli) billValidate(path string) error {
	b, enc, err := readBill(path)
	if err != nil {
		return err
	}
	c.noteGBK(path, enc)
	ps := problems(b.Validate())
	// Characters the bundled font lacks do not make a bill invalid (they are rare names);
	// they print only with a fallback font, so the cashier hears of them now.
	warnings := problemsOf(render.Missing(b))
	if c.json {
		if err := c.printJSON(struct {
			File     string    `json:"file"`
			Encoding string    `json:"encoding,omitempty"`
			Valid    bool      `json:"valid"`
			Problems []problem `json:"problems"`
			Warnings []problem `json:"warnings"`
		}{path, encodingNote(enc), len(ps) == 0, nonNil(ps), warnings}); err != nil {
			return err
		}
	} else {
		for _, p := range ps {
			fmt.Fprintln(c.stdout, p)
		}
		for _, w := range warnings {
			fmt.Fprintln(c.stdout, "warning:", w)
		}
		if len(ps) == 0 {
			fmt.Fprintf(c.stdout, "%s: valid\n", path)
		}
	}
	if len(ps) > 0 {
		return fmt.Errorf("%s: invalid bill: %d problem%s", path, len(ps), plural(len(ps)))
	}
	return nil
}

func (c *cli) billPreview(path, out string) error {
	b, enc, err := readBill(path)
	if err != nil {
		return err
	}
	c.noteGBK(path, enc)
	if ps := problems(b.Validate()); len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintln(c.stdout, p)
		}
		return fmt.Errorf("%s: invalid bill: %d problem%s; no preview", path, len(ps), plural(len(ps)))
	}
	// Only the ledger numbers a bill, so a preview is a draft.
	var pdf bytes.Buffer
	if err := render.Render(&pdf, &bill.Issued{Bill: *b}, render.Options{}); err != nil {
		return fmt.Errorf("preview %s: %w", path, err)
	}
	if err := writeFile(out, pdf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote draft %s (%d bytes)\n", out, pdf.Len())
	return nil
}

// writeFile writes data to path through files.Replace: a failed run leaves an earlier file
// whole, never half a PDF.
func writeFile(path string, data []byte) error {
	err := files.Replace(path, 0o644, func(w io.Writer) error { _, err := w.Write(data); return err })
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func nonNil(ps []problem) []problem {
	if ps == nil {
		return []problem{}
	}
	return ps
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
