package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/cmd/internal/cmdline"
	"ebill/wallet"
)

// quiet is the progress of commands that print only their result.
var quiet = service.ProgressFunc(func(service.Stage, string) {})

// connect opens the network that --network names, with the light node's headers under
// --data, one directory per chain so that networks never mix their trust.
func (c *cli) connect(ctx context.Context) (*service.Network, error) {
	if c.network == "" {
		return nil, usagef("no network: give --network FILE or set EBILL_NETWORK ('ebillctl demo' starts one)")
	}
	nf, err := c.networkFile()
	if err != nil {
		return nil, err
	}
	dir, err := c.lightDir()
	if err != nil {
		return nil, err
	}
	return service.Connect(ctx, service.Options{Network: nf, Dir: filepath.Join(dir, nf.ChainID), Timeout: c.timeout})
}

// networkFile reads the network file --network names.
func (c *cli) networkFile() (node.NetworkFile, error) {
	f, err := os.Open(c.network)
	if err != nil {
		return node.NetworkFile{}, inputErr(fmt.Errorf("read network file: %w", err))
	}
	defer f.Close()
	nf, err := node.ReadNetworkFile(f)
	if err != nil {
		return node.NetworkFile{}, inputErr(fmt.Errorf("%s: %w", c.network, err))
	}
	return nf, nil
}

// desk connects and acts as --identity. close releases the network.
func (c *cli) desk(ctx context.Context) (d *service.Desk, close func(), err error) {
	store, err := c.store()
	if err != nil {
		return nil, nil, err
	}
	id, err := c.signer(ctx, store)
	if err != nil {
		return nil, nil, err
	}
	net, err := c.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	d, err = net.As(ctx, id)
	if err != nil {
		net.Close()
		return nil, nil, fmt.Errorf("act as %q: %w", id.Name(), err)
	}
	return d, func() { net.Close() }, nil
}

// onDesk runs do as --identity on --network; Ctrl-C cancels the work in flight.
func (c *cli) onDesk(do func(ctx context.Context, d *service.Desk) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, closeNet, err := c.desk(ctx)
	if err != nil {
		return err
	}
	defer closeNet()
	return do(ctx, d)
}

// reason says whether a one-bill transition takes --reason: not at all (nil), required
// (empty default) or optional (with its default).
type reason struct{ def string }

// transition runs a command that moves one bill on: `NAME ID [--reason R]`; verb heads the
// printed result.
func (c *cli) transition(name string, args []string, r *reason, verb string,
	do func(ctx context.Context, d *service.Desk, id, reason string) (*service.View, error)) error {
	fs := c.flags(name)
	var why *string
	if r != nil {
		why = fs.String("reason", r.def, "")
	}
	pos, err := parse(fs, args, 1, 1, "a bill ID")
	if err != nil {
		return err
	}
	text := ""
	if why != nil {
		if text = strings.TrimSpace(*why); text == "" {
			return usagef("%s: --reason R is required (it stays on the bill's record)", name)
		}
	}
	return c.onDesk(func(ctx context.Context, d *service.Desk) error {
		v, err := do(ctx, d, pos[0], text)
		if err != nil {
			return fmt.Errorf("%s %s: %w", name, pos[0], err)
		}
		return c.printView(verb, v)
	})
}

func init() {
	for _, d := range []cmdline.Command[*cli]{
		{Name: "issue", Args: "ID", Run: (*cli).cmdIssue,
			Usage: "issue an approved bill: the ledger assigns number, check code"},
		{Name: "reverse", Args: "ID --reason R", Run: (*cli).cmdReverse,
			Usage: "reverse an issued bill with a red bill (冲红)"},
		{Name: "withdraw", Args: "ID [--reason R]", Run: (*cli).cmdWithdraw,
			Usage: "withdraw a bill that is not issued yet"},
		{Name: "get", Args: "ID | --code C --number N | --serial S", Run: (*cli).cmdGet,
			Usage: "read a bill through the light node, proven against a verified header",
			Help: `JSON says the height it was verified at. --serial looks in the identity's own org:
the ledger knows a serial only by a tag its org's key makes.`},
		{Name: "pdf", Args: "ID --out X.pdf", Run: (*cli).cmdPDF,
			Usage: "the PDF of an issued bill with its proof bundle"},
	} {
		program.Register(d)
	}
}

func (c *cli) cmdIssue(args []string) error {
	return c.transition("issue", args, nil, "issued",
		func(ctx context.Context, d *service.Desk, id, _ string) (*service.View, error) {
			return d.Issue(ctx, id, quiet)
		})
}

func (c *cli) cmdReverse(args []string) error {
	return c.transition("reverse", args, &reason{}, "reversed by red bill",
		func(ctx context.Context, d *service.Desk, id, why string) (*service.View, error) {
			return d.Reverse(ctx, id, why, quiet)
		})
}

func (c *cli) cmdWithdraw(args []string) error {
	return c.transition("withdraw", args, &reason{"withdrawn by the hospital"}, "withdrew",
		func(ctx context.Context, d *service.Desk, id, why string) (*service.View, error) {
			return d.Withdraw(ctx, id, why, quiet)
		})
}

func (c *cli) cmdGet(args []string) error {
	fs := c.flags("get")
	code := fs.String("code", "", "")
	number := fs.String("number", "", "")
	serial := fs.String("serial", "", "")
	pos, err := parse(fs, args, 0, 1, "")
	if err != nil {
		return err
	}
	var fetch func(ctx context.Context, d *service.Desk) (*service.View, error)
	switch {
	case len(pos) == 1 && *code == "" && *number == "" && *serial == "":
		fetch = func(ctx context.Context, d *service.Desk) (*service.View, error) { return d.Fetch(ctx, pos[0]) }
	case len(pos) == 0 && *code != "" && *number != "" && *serial == "":
		fetch = func(ctx context.Context, d *service.Desk) (*service.View, error) {
			return d.FetchNumber(ctx, *code, *number)
		}
	case len(pos) == 0 && *serial != "" && *code == "" && *number == "":
		fetch = func(ctx context.Context, d *service.Desk) (*service.View, error) {
			return d.FetchSerial(ctx, d.Account().Org, *serial)
		}
	default:
		return usagef("get: want a bill ID, or --code C --number N, or --serial S")
	}
	return c.onDesk(func(ctx context.Context, d *service.Desk) error {
		v, err := fetch(ctx, d)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		return c.printView("", v)
	})
}

func (c *cli) cmdPDF(args []string) error {
	fs := c.flags("pdf")
	id, out, err := parseOut(fs, args, "a bill ID", "X.pdf")
	if err != nil {
		return err
	}
	return c.onDesk(func(ctx context.Context, d *service.Desk) error {
		var pdf bytes.Buffer
		v, err := d.Render(ctx, &pdf, id)
		if err != nil {
			return fmt.Errorf("pdf %s: %w", id, err)
		}
		if err := writeFile(out, pdf.Bytes()); err != nil {
			return err
		}
		s := summarize(v)
		s.PDF = out
		if c.json {
			return c.printJSON(s)
		}
		fmt.Fprintf(c.stdout, "wrote %s (%d bytes): bill %s number %s, verified at height %d\n",
			out, pdf.Len(), v.ID, s.Number, s.VerifiedAt)
		return nil
	})
}

// summary is one bill as the commands print it; the demo's --json lists these.
type summary struct {
	ID         string `json:"id"`
	Code       string `json:"code"`
	Number     string `json:"number"`
	CheckCode  string `json:"check_code"`
	Status     string `json:"status"`
	Height     int64  `json:"height"`      // the block of the bill's latest transition
	VerifiedAt int64  `json:"verified_at"` // the state height its proof was checked against
	Verified   bool   `json:"verified"`
	PDF        string `json:"pdf,omitempty"`
}

func summarize(v *service.View) summary {
	r := v.Record
	s := summary{
		ID: v.ID, Code: r.Code, Number: r.Number, CheckCode: r.CheckCode,
		Status:     statusWord(r),
		VerifiedAt: v.Verified.Height,
		Verified:   v.Verified.Height > 0,
	}
	if n := len(v.Timeline); n > 0 {
		s.Height = v.Timeline[n-1].Height
	}
	for _, e := range v.Timeline {
		if e.Type == wire.EventIssued || e.Type == wire.EventRedIssued {
			s.Height = e.Height
		}
	}
	return s
}

// statusWord names a bill's state in one English word; a red bill is "red", not "issued".
func statusWord(r wire.BillRecord) string {
	if r.RedOf != "" && r.Status == wire.StatusIssued {
		return "red"
	}
	return r.Status.String()
}

// viewJSON is a bill as get and the transitions print it with --json.
type viewJSON struct {
	summary
	Kind     bill.Kind    `json:"kind"`
	Org      string       `json:"org"`
	Serial   string       `json:"serial"`
	Total    bill.Money   `json:"total"`
	RedOf    string       `json:"red_of,omitempty"`
	Reversed string       `json:"reversed_by,omitempty"`
	Reason   string       `json:"reason,omitempty"`
	Revision uint32       `json:"revision"`
	Signed   float64      `json:"signed_percent"` // voting power behind the proof
	Existed  bool         `json:"existed,omitempty"`
	Bill     *bill.Issued `json:"bill,omitempty"` // absent when the identity may not read it
	Events   []eventJSON  `json:"events"`
}

type eventJSON struct {
	Type   string    `json:"type"`
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Note   string    `json:"note,omitempty"`
	TxHash string    `json:"tx_hash"`
}

func toJSON(v *service.View) viewJSON {
	r := v.Record
	j := viewJSON{summary: summarize(v), Kind: r.Kind, Org: r.Org, Serial: v.Serial(), Total: r.Total,
		RedOf: r.RedOf, Reversed: r.ReversedBy, Reason: v.Reason, Revision: r.Revision, Signed: v.Verified.SignedPercent,
		Existed: v.Existed, Bill: v.Bill, Events: make([]eventJSON, len(v.Timeline))}
	for i, e := range v.Timeline {
		j.Events[i] = eventJSON{e.Type.String(), e.Height, e.Time, wallet.Address(e.Actor), e.Note, fmt.Sprintf("%X", e.TxHash)}
	}
	return j
}

// printView prints a bill after a transition (verb says which) or a read.
func (c *cli) printView(verb string, v *service.View) error {
	if c.json {
		return c.printJSON(toJSON(v))
	}
	s, r := summarize(v), v.Record
	if verb != "" {
		fmt.Fprintf(c.stdout, "%s %s\n", verb, v.ID)
	}
	fmt.Fprintf(c.stdout, "id:         %s\nstatus:     %s\norg:        %s  serial %s\nkind:       %s  total %s\n",
		v.ID, s.Status, r.Org, v.Serial(), r.Kind, r.Total)
	if r.Number != "" {
		fmt.Fprintf(c.stdout, "bill:       code %s  number %s  check code %s\n", r.Code, r.Number, r.CheckCode)
	}
	if r.RedOf != "" {
		fmt.Fprintf(c.stdout, "red bill of %s\n", r.RedOf)
	}
	if r.ReversedBy != "" {
		fmt.Fprintf(c.stdout, "reversed by %s\n", r.ReversedBy)
	}
	if v.Reason != "" {
		fmt.Fprintf(c.stdout, "reason:     %s\n", v.Reason)
	}
	if v.Bill != nil {
		fmt.Fprintf(c.stdout, "payer:      %s  items %d\n", v.Bill.Payer.Name, len(v.Bill.Items))
	}
	fmt.Fprintf(c.stdout, "height:     %d, verified at %d (%.0f%% of voting power)\n", s.Height, s.VerifiedAt, v.Verified.SignedPercent)
	for _, e := range v.Timeline {
		fmt.Fprintf(c.stdout, "  %6d  %-11s %s  %s\n", e.Height, e.Type, e.Time.Format(time.DateTime), e.Note)
	}
	return nil
}
