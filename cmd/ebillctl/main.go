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
	"fmt"
	"io"
	"os"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/lightclient"
)

const usage = `ebillctl is the headless ebill client: HIS batches, review, issue, verified reads, demo.

Usage:
  ebillctl [global flags] COMMAND [arguments]

Global flags (accepted before or after the command):
  --network FILE           the network file the finance bureau hands out (chain id, trusted
                           header, RPC addresses of a primary and witnesses); default
                           $EBILL_NETWORK
  --keystore os|file:DIR   where identities live: the OS keyring, or a directory of
                           passphrase-encrypted files; default $EBILL_KEYSTORE, else os.
                           The passphrase comes from EBILL_PASSPHRASE, or a prompt on a
                           terminal
  --identity NAME          the identity that signs; default $EBILL_IDENTITY
  --data DIR               the light node's verified headers; default <user cache>/ebill
  --timeout D              give up a network step (a read, a broadcast) after D, e.g. 5s;
                           default 15s
  --json                   print results as JSON

Commands:
  keys new NAME                  create an identity; prints its public keys to register
  keys list                      name and address of every identity in the key store
  keys show NAME                 its address and public keys
  keys export NAME --out FILE    write an encrypted backup; its passphrase comes from
                                 EBILL_BACKUP_PASSPHRASE or a prompt
  keys import FILE               restore a backup into the key store
  keys delete NAME --yes         remove an identity from the key store (no undo)

  bill validate FILE             check a bill (HIS JSON, docs/bill-json.md): every problem,
                                 one per line as "path: 中文 / English"
  bill preview FILE --out X.pdf  draw the draft PDF (预览, no number); no ledger needed

  submit FILE|DIR …              sign, encrypt and upload bills (a directory: every *.json in
                                 it, a HIS batch); each file is reported, a bad one does not
                                 stop the others
  review list                    the bureau's review queue
  review show ID                 the decrypted bill with the automatic checks
  review approve ID              countersign and approve
  review reject ID --reason R    reject with a reason
  review auto                    approve every queued bill that passes every check
  issue ID                       issue an approved bill: the ledger assigns number, check code
  reverse ID --reason R          reverse an issued bill with a red bill (冲红)
  withdraw ID [--reason R]       withdraw a bill that is not issued yet
  get ID | --code C --number N | --serial S [--org O]
                                 read a bill through the light node, proven against a
                                 verified header; JSON says the height it was verified at.
                                 --serial looks in the identity's own org unless --org
  pdf ID --out X.pdf             the PDF of an issued bill with its proof bundle

  demo [--dir DIR] [--bills N]   the whole flow: without --network start a node in DIR
                                 (default ./demo) with the demo identities; submit N sample
                                 bills (default 3), auto-review, issue, verify, render the
                                 PDFs into DIR/pdf, reverse one and print a summary. Keys:
                                 --keystore, else DIR/demo-keys under EBILL_PASSPHRASE
                                 (default passphrase ebill-demo). With --network (e.g. of
                                 'ebilld init --demo'), the same flow on that network
  bench [--duration D | --count N] [--cashiers C] [--items K] [--rate R] [--validators V]
        [--baseline] [--runs N] [--chart out.png] [--cpuprofile FILE] [--submit uri|jsonrpc]
                                 load test: C cashiers submit K-item bills for D (default 20s)
                                 or N bills, as fast as the ledger takes them or R bills/s;
                                 reports bills/s committed, submit→committed and
                                 submit→verified-issued latency, CPU and RSS of the nodes.
                                 Without --network it starts V validators (default 1, in this
                                 process; more as ebilld processes on loopback, built with go
                                 build from the source tree); --baseline also runs CometBFT's
                                 kvstore with the same settings and load and gives the ratio;
                                 with --network, --identity is the cashier and --clerk NAME
                                 the bureau clerk who approves the sampled bills
  help                           show this text

Exit codes:
  0  success
  1  failed: the bill is invalid, the ledger refused (unknown id, wrong role or org, wrong
     state), wrong passphrase, or (submit) some of the files failed
  2  bad usage, or input that cannot be read or parsed (file:line:column)
  3  verification failed: the light node refused an answer or a header, saw an attack, or
     its trust root expired
  4  network down: no node answered, or the network did not finish a step in time
`

// Exit codes, as the usage text documents them.
const (
	exitOK      = 0
	exitFail    = 1
	exitUsage   = 2
	exitVerify  = 3
	exitNetwork = 4
)

// exitError carries the exit code of an error the command line itself detects (bad usage,
// unreadable input); report maps the errors of the packages below by their sentinels.
type exitError struct {
	code int
	hint bool // point at 'ebillctl help': the command line is wrong, not the input
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &exitError{exitUsage, true, fmt.Errorf(format, args...)}
}

// inputErr marks err as input that cannot be read or parsed (exit 2, no usage hint).
func inputErr(err error) error { return &exitError{exitUsage, false, err} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type command func(c *cli, args []string) error

var commands = map[string]command{
	"keys":     (*cli).cmdKeys,
	"bill":     (*cli).cmdBill,
	"submit":   (*cli).cmdSubmit,
	"review":   (*cli).cmdReview,
	"issue":    (*cli).cmdIssue,
	"reverse":  (*cli).cmdReverse,
	"withdraw": (*cli).cmdWithdraw,
	"get":      (*cli).cmdGet,
	"pdf":      (*cli).cmdPDF,
	"demo":     (*cli).cmdDemo,
	"bench":    (*cli).cmdBench,
}

func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	c := newCLI(stdin, stdout, stderr)
	return c.report(c.dispatch(args))
}

func (c *cli) dispatch(args []string) error {
	fs := c.flags("ebillctl")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() == 0 {
		return usagef("no command given")
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	if name == "help" {
		return flag.ErrHelp
	}
	cmd, ok := commands[name]
	if !ok {
		return usagef("unknown command %q", name)
	}
	return cmd(c, rest)
}

// report is the one place that turns an error into a message and an exit code.
func (c *cli) report(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(c.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "ebillctl: %v\n", err)
	if ee := (*exitError)(nil); errors.As(err, &ee) && ee.hint {
		fmt.Fprintln(c.stderr, "Run 'ebillctl help' for usage.")
	}
	return exitCode(err)
}

func exitCode(err error) int {
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, bill.ErrSyntax):
		return exitUsage
	case errors.Is(err, service.ErrVerification), errors.Is(err, lightclient.ErrVerification),
		errors.Is(err, lightclient.ErrAttack), errors.Is(err, lightclient.ErrTrustExpired),
		errors.Is(err, lightclient.ErrClockDrift):
		return exitVerify
	case errors.Is(err, service.ErrNetworkDown), errors.Is(err, service.ErrTimeout),
		errors.Is(err, lightclient.ErrUnavailable):
		return exitNetwork
	default:
		return exitFail
	}
}
