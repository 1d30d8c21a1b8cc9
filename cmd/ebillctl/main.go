// Command ebillctl is the headless ebill client: what a HIS integrator scripts, what an IT
// admin runs, and the demo of the whole flow.
//
//	ebillctl [--network FILE] [--keystore os|file:DIR] [--identity NAME] [--json] COMMAND …
//
// Run `ebillctl help` for the commands and the exit codes.
package main

import (
	"errors"
	"flag"
	"io"
	"os"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/cmd/internal/cmdline"
)

// program is ebillctl's command table and exit-code table; each command registers itself
// from its own file (see cmdline).
var program = cmdline.Program[*cli]{
	Name: "ebillctl",
	Intro: `ebillctl is the headless ebill client: HIS batches, review, issue, verified reads, PDF
verification, demo.

Usage:
  ebillctl [global flags] COMMAND [arguments]`,
	Globals: `Global flags (accepted before or after the command):
  --network FILE           the network file the finance bureau hands out (chain id, trusted
                           header and validators, RPC addresses of a primary and
                           witnesses); default $EBILL_NETWORK
  --keystore os|file:DIR   where identities live: the OS keyring, or a directory of
                           passphrase-encrypted files; default $EBILL_KEYSTORE, else os.
                           The passphrase comes from EBILL_PASSPHRASE, or a prompt on a
                           terminal
  --identity NAME          the identity that signs; default $EBILL_IDENTITY
  --data DIR               the light node's verified headers; default <user cache>/ebill
  --timeout D              give up a network step (a read, a broadcast) after D, e.g. 5s;
                           default 15s
  --json                   print results as JSON`,
	Exits: []cmdline.Exit{
		{Code: 0, Means: "success"},
		{Code: 1, Means: `failed: the bill is invalid, the ledger refused (unknown id, wrong role or org, wrong
state, a business serial another bill has), wrong passphrase, or (submit) some of the
files failed`},
		{Code: 2, Means: `bad usage, or input that cannot be read or parsed (file:line:column), or is neither
UTF-8 nor GBK`,
			Errs: []error{cmdline.ErrUsage, errInput, bill.ErrSyntax, service.ErrEncoding}},
		{Code: 3, Means: `verification failed: the light node refused an answer or a header, saw an attack, or
its trust root expired; (verify) the PDF carries no proof that the trusted validators
signed, or none could be read`,
			Errs: []error{service.ErrVerification, service.ErrAttack, service.ErrTrustExpired, errUnverified}},
		{Code: 4, Means: "network down: no node answered, or the network did not finish a step in time",
			Errs: []error{service.ErrNetworkDown, service.ErrTimeout}},
	},
}

// errInput marks input that cannot be read or parsed: exit 2 like bad usage, but the
// command line was right, so no pointer to help.
var errInput = errors.New("unreadable input")

var usagef = cmdline.Usagef

func inputErr(err error) error { return cmdline.Mark(err, errInput) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run parses the global flags that come before the command, then runs it; each command's
// flag set holds the global flags as well, so they may also come after it.
func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	c := newCLI(stdin, stdout, stderr)
	fs := c.flags("ebillctl")
	if err := fs.Parse(args); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			err = usagef("%v", err)
		}
		return program.Report(stdout, stderr, err)
	}
	return program.Run(c, fs.Args(), stdout, stderr)
}
