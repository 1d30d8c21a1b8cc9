package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"ebill/app/bill"
	"ebill/app/node"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ebillctl": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":      cmdExits,
			"samplebill": cmdSampleBill,
		},
	})
}

// cmdExits runs a command that must fail with one exit code: `exits 2 ebillctl bill
// validate x.json`. Its output is there for stdout and stderr to check, as after exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARG…]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: code %q: %v", args[0], err)
	}
	got := 0
	var ee *exec.ExitError
	if err := ts.Exec(args[1], args[2:]...); errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdSampleBill writes a valid sample bill, or with -total one whose total disagrees with
// its items: `samplebill [-items N] [-total FEN] KIND ORG SERIAL FILE`.
func cmdSampleBill(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("samplebill", flag.ContinueOnError)
	items := fs.Int("items", 4, "")
	total := fs.Int64("total", 0, "")
	if neg || fs.Parse(args) != nil || fs.NArg() != 4 {
		ts.Fatalf("usage: samplebill [-items N] [-total FEN] KIND ORG SERIAL FILE")
	}
	a := fs.Args()
	b := bill.Sample(bill.Kind(a[0]), a[1], a[2], *items, time.Now())
	b.Code = node.DemoBillCode
	if *total != 0 {
		b.Total = bill.Money(*total)
	}
	f, err := os.Create(ts.MkAbs(a[3]))
	ts.Check(err)
	ts.Check(b.Encode(f))
	ts.Check(f.Close())
}
