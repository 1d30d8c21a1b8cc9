package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/service"
	"ebill/cmd/internal/cmdline"
	"ebill/wallet"
)

// demoPassphrase encrypts the demo key store when EBILL_PASSPHRASE is unset, so that
// `make demo` runs unattended. The keys only control a throwaway local chain, and the demo
// says which passphrase it used.
const demoPassphrase = "ebill-demo"

// demoKinds are the sample bills the demo submits, in turn: an outpatient, an inpatient
// and a long outpatient bill that runs over several pages.
var demoKinds = []struct {
	kind  bill.Kind
	items int
}{{bill.Outpatient, 6}, {bill.Inpatient, 14}, {bill.Outpatient, 60}}

func init() {
	program.Register(cmdline.Command[*cli]{Name: "demo", Args: "[--dir DIR] [--bills N]", Run: (*cli).cmdDemo,
		Usage: "the whole flow, from a sample bill to its verified PDF",
		Help: `Without --network start a node in DIR (default ./demo) with the demo identities;
submit N sample bills (default 3), auto-review, issue, verify, render the PDFs into
DIR/pdf, reverse one and print a summary. Keys: --keystore, else DIR/demo-keys under
EBILL_PASSPHRASE (default passphrase ebill-demo). With --network (e.g. of
'ebilld init --demo'), the same flow on that network.`})
}

func (c *cli) cmdDemo(args []string) error {
	fs := c.flags("demo")
	dir := fs.String("dir", "demo", "")
	n := fs.Int("bills", len(demoKinds), "")
	if _, err := parse(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if *n < 1 || *n > 1000 {
		return usagef("demo: --bills %d: want 1 to 1000", *n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := c.demoStore(*dir)
	if err != nil {
		return err
	}
	var net *service.Network
	if c.network == "" {
		c.step("starting the embedded demo node in %s", *dir)
		net, err = service.StartEmbedded(ctx, *dir, store)
	} else {
		if c.data == "" {
			c.data = filepath.Join(*dir, "light")
		}
		net, err = c.connect(ctx)
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer net.Close()
	bills, err := c.runDemo(ctx, net, store, *dir, *n)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return c.printDemo(bills)
}

// demoStore is --keystore when given, else the encrypted store DIR/demo-keys, where
// `ebilld init --demo` puts the demo identities too.
func (c *cli) demoStore(dir string) (wallet.Store, error) {
	if c.keystore != "" {
		return c.store()
	}
	keys := filepath.Join(dir, "demo-keys")
	pass := os.Getenv("EBILL_PASSPHRASE")
	if pass == "" {
		pass = demoPassphrase
		c.step("demo keys in %s, passphrase %q (set EBILL_PASSPHRASE to choose one)", keys, pass)
	}
	return openFileStore(keys, []byte(pass))
}

// step tells the user what the demo is doing; stderr, so that --json output stays clean.
func (c *cli) step(format string, args ...any) {
	fmt.Fprintf(c.stderr, "demo: "+format+"\n", args...)
}

func (c *cli) demoDesk(ctx context.Context, net *service.Network, store wallet.Store, name string) (*service.Desk, error) {
	id, err := store.Load(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("load demo identity %q: %w", name, err)
	}
	d, err := net.As(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("act as %q: %w", name, err)
	}
	return d, nil
}

// runDemo is the whole life of n bills: submit, automatic review, issue, one reversal,
// then a verified read and the PDF of every bill, the red one included.
func (c *cli) runDemo(ctx context.Context, net *service.Network, store wallet.Store, dir string, n int) ([]summary, error) {
	cashier, err := c.demoDesk(ctx, net, store, node.DemoCashierName)
	if err != nil {
		return nil, err
	}
	clerk, err := c.demoDesk(ctx, net, store, node.DemoClerkName)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	// Serials unique per run, so a second demo in the same DIR makes new bills.
	run := now.Format("20060102150405")
	bills := make([]*bill.Bill, n)
	for i := range bills {
		k := demoKinds[i%len(demoKinds)]
		b := bill.Sample(k.kind, cashier.Account().Org, fmt.Sprintf("DEMO-%s-%03d", run, i+1), k.items, now)
		b.Code = node.DemoBillCode // the demo segment's code, whatever this year is
		bills[i] = b
	}
	c.step("submitting %d sample bills as %s", n, node.DemoCashierName)
	var ids []string
	for _, r := range cashier.SubmitBatch(ctx, bills, quiet) {
		if r.Err != nil {
			return nil, fmt.Errorf("submit bill %d: %w", r.Index+1, r.Err)
		}
		ids = append(ids, r.ID)
	}
	c.step("automatic review as %s", node.DemoClerkName)
	rep, err := clerk.AutoReview(ctx, quiet)
	if err != nil {
		return nil, fmt.Errorf("automatic review: %w", err)
	}
	if len(rep.Failed) > 0 {
		return nil, fmt.Errorf("automatic review approved %d, held %d, failed %d: %w", rep.Approved, len(rep.Held), len(rep.Failed), errors.Join(rep.Failed...))
	}
	// The queue may hold bills of earlier runs in this DIR that a clerk must look at; only
	// this run's bills must pass.
	ours := make(map[string]bool, len(ids))
	for _, id := range ids {
		ours[id] = true
	}
	var earlier int
	for _, r := range rep.Held {
		if !ours[r.ID] {
			earlier++
			continue
		}
		for _, ch := range r.Checks {
			if !ch.OK {
				return nil, fmt.Errorf("automatic review held bill %s: %s: %s", r.ID, ch.Rule, ch.EN)
			}
		}
	}
	if earlier > 0 {
		c.step("%d bill(s) of earlier runs stay held for a clerk (ebillctl review list)", earlier)
	}
	c.step("issuing %d bills", n)
	issued := make(map[string]*service.View, n+1)
	for _, id := range ids {
		v, err := cashier.Issue(ctx, id, quiet)
		if err != nil {
			return nil, fmt.Errorf("issue %s: %w", id, err)
		}
		issued[id] = v
	}
	c.step("reversing %s with a red bill", ids[0])
	red, err := cashier.Reverse(ctx, ids[0], "演示冲红 demo reversal", quiet)
	if err != nil {
		return nil, fmt.Errorf("reverse %s: %w", ids[0], err)
	}
	ids = append(ids, red.ID)
	issued[red.ID] = red

	pdfDir := filepath.Join(dir, "pdf")
	if err := os.MkdirAll(pdfDir, 0o755); err != nil {
		return nil, err
	}
	c.step("verifying every bill through the light node; PDFs into %s", pdfDir)
	out := make([]summary, len(ids))
	for i, id := range ids {
		if out[i], err = c.demoVerify(ctx, cashier, issued[id], pdfDir); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// demoVerify reads a bill back through the light node, checks it is the bill the ledger
// issued, and renders its PDF.
func (c *cli) demoVerify(ctx context.Context, d *service.Desk, issued *service.View, pdfDir string) (summary, error) {
	v, err := d.Fetch(ctx, issued.ID)
	if err != nil {
		return summary{}, fmt.Errorf("verified read of %s: %w", issued.ID, err)
	}
	s := summarize(v)
	want := summarize(issued)
	s.Verified = s.Number == want.Number && s.CheckCode == want.CheckCode && s.Number != "" && v.Bill != nil
	var pdf bytes.Buffer
	if _, err := d.Render(ctx, &pdf, v.ID); err != nil {
		return summary{}, fmt.Errorf("pdf of %s: %w", v.ID, err)
	}
	s.PDF = filepath.Join(pdfDir, fmt.Sprintf("%s-%s.pdf", s.Code, s.Number))
	if err := writeFile(s.PDF, pdf.Bytes()); err != nil {
		return summary{}, err
	}
	return s, nil
}

func (c *cli) printDemo(bills []summary) error {
	all := true
	for _, b := range bills {
		all = all && b.Verified
	}
	if c.json {
		if err := c.printJSON(map[string]any{"bills": bills}); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCODE\tNUMBER\tCHECK\tSTATUS\tHEIGHT\tVERIFIED AT\tVERIFIED\tPDF")
		for _, b := range bills {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n",
				b.ID, b.Code, b.Number, b.CheckCode, b.Status, b.Height, b.VerifiedAt, yesNo(b.Verified), b.PDF)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if !all {
		return cmdline.Mark(errors.New("demo: not every bill verified"), service.ErrVerification)
	}
	return nil
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}
