package cmdline

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
)

var errDown = errors.New("down")

// testProgram records the command that ran and its arguments in *[]string.
func testProgram() *Program[*[]string] {
	p := &Program[*[]string]{
		Name:  "prog",
		Intro: "prog does things.",
		Exits: []Exit{
			{Code: 0, Means: "success"},
			{Code: 1, Means: "failed"},
			{Code: 2, Means: "bad usage", Errs: []error{ErrUsage}},
			{Code: 4, Means: "network down,\nor slow", Errs: []error{errDown}},
		},
	}
	record := func(name string, err error) func(*[]string, []string) error {
		return func(got *[]string, args []string) error {
			*got = append([]string{name}, args...)
			return err
		}
	}
	p.Register(Command[*[]string]{Name: "keys new", Args: "NAME", Usage: "make a key", Run: record("keys new", nil)})
	p.Register(Command[*[]string]{Name: "get", Args: "ID", Usage: "read one", Help: "Reads it.", Run: record("get", nil)})
	p.Register(Command[*[]string]{Name: "keys list", Usage: "list them", Run: record("keys list", nil)})
	p.Register(Command[*[]string]{Name: "fail", Usage: "fails", Run: record("fail", fmt.Errorf("fetch: %w", errDown))})
	p.Register(Command[*[]string]{Name: "bad", Usage: "misused", Run: record("bad", Usagef("bad: want %s", "X"))})
	p.Register(Command[*[]string]{Name: "odd", Usage: "fails oddly", Run: record("odd", errors.New("odd"))})
	p.Register(Command[*[]string]{Name: "flags", Usage: "-h", Run: record("flags", flag.ErrHelp)})
	return p
}

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		ran        string // the command and its arguments, space-separated
		out, err   string // substrings of stdout and stderr
		notOut     string
		noHintText bool
	}{
		{args: []string{"get", "x", "--json"}, ran: "get x --json"},
		{args: []string{"keys", "new", "alice"}, ran: "keys new alice"},
		{args: []string{"keys", "list"}, ran: "keys list"},
		{args: []string{"keys"}, code: 2, err: "keys: want list or new\nRun 'prog help' for usage."},
		{args: []string{"keys", "frob"}, code: 2, err: `unknown subcommand "frob" (want list or new)`},
		{args: []string{"serve"}, code: 2, err: `prog: unknown command "serve"`},
		{args: nil, code: 2, err: "Commands:"},
		{args: []string{"fail"}, code: 4, ran: "fail", err: "prog: fetch: down\n", noHintText: true},
		{args: []string{"odd"}, code: 1, ran: "odd", err: "prog: odd\n", noHintText: true},
		{args: []string{"bad"}, code: 2, ran: "bad", err: "prog: bad: want X\nRun 'prog help' for usage."},
		{args: []string{"help"}, out: "  4  network down,\n     or slow\n"},
		{args: []string{"--help"}, out: "  keys new NAME"},
		{args: []string{"help", "get"}, out: "  get ID", notOut: "keys"},
		{args: []string{"help", "keys"}, out: "keys list", notOut: "get ID"},
		{args: []string{"help", "nope"}, code: 2, err: `help: unknown command "nope"`},
		{args: []string{"flags"}, ran: "flags", out: "  flags"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var ran []string
			var stdout, stderr bytes.Buffer
			code := testProgram().Run(&ran, tc.args, &stdout, &stderr)
			if code != tc.code || strings.Join(ran, " ") != tc.ran {
				t.Errorf("exit %d, ran %q; want exit %d, ran %q", code, ran, tc.code, tc.ran)
			}
			if !strings.Contains(stdout.String(), tc.out) || tc.notOut != "" && strings.Contains(stdout.String(), tc.notOut) {
				t.Errorf("stdout:\n%s\nwant %q, not %q", stdout.String(), tc.out, tc.notOut)
			}
			if !strings.Contains(stderr.String(), tc.err) {
				t.Errorf("stderr:\n%s\nwant %q", stderr.String(), tc.err)
			}
			if tc.noHintText && strings.Contains(stderr.String(), "help") {
				t.Errorf("stderr points at help for an error that is not bad usage:\n%s", stderr.String())
			}
		})
	}
}

func TestHelpListsEveryCommandOnce(t *testing.T) {
	var out bytes.Buffer
	p := testProgram()
	if err := p.Help(&out, ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range p.commands {
		if n := strings.Count(out.String(), "\n  "+c.Name+" "); n != 1 {
			t.Errorf("help lists %q %d times:\n%s", c.Name, n, out.String())
		}
	}
}

func TestRegisterRefusesClashes(t *testing.T) {
	for _, name := range []string{"get", "keys", "get all"} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("registering %q beside get and keys new did not panic", name)
				}
			}()
			testProgram().Register(Command[*[]string]{Name: name})
		})
	}
}

func TestMarkKeepsMessageAndBoth(t *testing.T) {
	base := errors.New("read x: no such file")
	sentinel := errors.New("input")
	err := Mark(base, sentinel)
	if err.Error() != base.Error() || !errors.Is(err, base) || !errors.Is(err, sentinel) {
		t.Errorf("Mark = %q; Is(base) %v, Is(sentinel) %v", err, errors.Is(err, base), errors.Is(err, sentinel))
	}
}
