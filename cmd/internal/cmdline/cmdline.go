// Package cmdline is the frame both ebill command lines share, so that they read, dispatch
// and fail alike.
//
// A Program holds one table of commands (name → run func + one line of usage; a name of two
// words such as "keys new" is a subcommand) and one table of exit codes (code → what it
// means → the sentinel errors that map to it). Help is printed from those tables, so what
// `PROG help` documents is what the program does. A command plugs in from its own file:
//
//	func init() {
//		program.Register(cmdline.Command[*cli]{Name: "verify", Args: "FILE.pdf",
//			Usage: "check a PDF e-bill offline", Run: (*cli).cmdVerify})
//	}
//
// A command reports bad usage with Usagef (exit ErrUsage's code, plus a pointer to help).
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrUsage marks an error the user fixes by changing the command line. Usagef makes one;
// the report adds "Run 'PROG help' for usage."
var ErrUsage = errors.New("usage")

// Usagef is an error of bad usage: the message as fmt.Errorf makes it, matching ErrUsage.
func Usagef(format string, args ...any) error {
	return Mark(fmt.Errorf(format, args...), ErrUsage)
}

// Mark returns err, unchanged in its message, matching sentinel as well: the way a command
// picks an exit code for an error of a package that has no sentinel for it.
func Mark(err, sentinel error) error { return &marked{err, sentinel} }

type marked struct{ err, sentinel error }

func (m *marked) Error() string   { return m.err.Error() }
func (m *marked) Unwrap() []error { return []error{m.err, m.sentinel} }

// Command is one row of the command table.
type Command[E any] struct {
	Name  string // "submit", or "keys new" for a subcommand of keys
	Args  string // the synopsis of its arguments and flags, e.g. "ID --out X.pdf"
	Usage string // one line: what it does
	Help  string // more, for `PROG help NAME`; may be empty
	Run   func(env E, args []string) error
}

// Exit is one row of the exit-code table. The first row is success; the second is the
// code of any error that matches no row.
type Exit struct {
	Code  int
	Means string  // may run over several lines
	Errs  []error // the sentinels (errors.Is) that give this code
}

// Program is a command line: its help text and its two tables.
type Program[E any] struct {
	Name    string // "ebillctl"
	Intro   string // the help's first lines: what the program is, and its synopsis
	Globals string // the global flags' part of the help, if any
	Exits   []Exit

	commands []Command[E]
}

// Register adds c to the command table. A second command of one name is a programming
// error: it panics at start-up.
func (p *Program[E]) Register(c Command[E]) {
	group, _, isSub := strings.Cut(c.Name, " ")
	if p.find(c.Name) != nil || p.isGroup(c.Name) || isSub && p.find(group) != nil {
		panic(fmt.Sprintf("cmdline: %s: command %q registered twice", p.Name, c.Name))
	}
	p.commands = append(p.commands, c)
	slices.SortStableFunc(p.commands, func(a, b Command[E]) int { return strings.Compare(a.Name, b.Name) })
}

// Run runs the command that args name (no global flags: the caller has parsed them) and
// returns its exit code, having reported an error on stderr. `help [NAME]`, `-h` and a
// command's own -h print help on stdout.
func (p *Program[E]) Run(env E, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		p.Help(stderr, "")
		return p.ExitCode(ErrUsage)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		topic := strings.Join(args[1:], " ")
		if err := p.Help(stdout, topic); err != nil {
			return p.Report(stdout, stderr, err)
		}
		return p.Exits[0].Code
	}
	c, rest, err := p.lookup(args)
	if err == nil {
		err = c.Run(env, rest)
		if errors.Is(err, flag.ErrHelp) {
			p.Help(stdout, c.Name)
			return p.Exits[0].Code
		}
	}
	return p.Report(stdout, stderr, err)
}

// Report prints err (if any) on stderr, with a pointer to help for bad usage, and returns
// its exit code. flag.ErrHelp prints the help on stdout.
func (p *Program[E]) Report(stdout, stderr io.Writer, err error) int {
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		p.Help(stdout, "")
		return p.Exits[0].Code
	default:
		fmt.Fprintf(stderr, "%s: %v\n", p.Name, err)
		if errors.Is(err, ErrUsage) {
			fmt.Fprintf(stderr, "Run '%s help' for usage.\n", p.Name)
		}
	}
	return p.ExitCode(err)
}

// ExitCode is the one place that turns an error into an exit code: the first row of the
// exit table whose sentinels err matches; nil is success.
func (p *Program[E]) ExitCode(err error) int {
	if err == nil {
		return p.Exits[0].Code
	}
	for _, e := range p.Exits {
		for _, s := range e.Errs {
			if errors.Is(err, s) {
				return e.Code
			}
		}
	}
	return p.Exits[1].Code
}

// lookup finds the command args name: a subcommand's two words, or one.
func (p *Program[E]) lookup(args []string) (*Command[E], []string, error) {
	if len(args) > 1 {
		if c := p.find(args[0] + " " + args[1]); c != nil {
			return c, args[2:], nil
		}
	}
	if c := p.find(args[0]); c != nil {
		return c, args[1:], nil
	}
	if subs := p.subcommands(args[0]); len(subs) > 0 {
		if len(args) == 1 {
			return nil, nil, Usagef("%s: want %s", args[0], orList(subs))
		}
		return nil, nil, Usagef("%s: unknown subcommand %q (want %s)", args[0], args[1], orList(subs))
	}
	return nil, nil, Usagef("unknown command %q", args[0])
}

func (p *Program[E]) find(name string) *Command[E] {
	for i := range p.commands {
		if p.commands[i].Name == name {
			return &p.commands[i]
		}
	}
	return nil
}

func (p *Program[E]) isGroup(name string) bool { return len(p.subcommands(name)) > 0 }

// subcommands are the second words of the commands of group.
func (p *Program[E]) subcommands(group string) []string {
	var subs []string
	for _, c := range p.commands {
		if sub, ok := strings.CutPrefix(c.Name, group+" "); ok {
			subs = append(subs, sub)
		}
	}
	return subs
}

func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// synopsisWidth is the column where a command's usage starts in the help.
const synopsisWidth = 34

// Help prints the whole help (topic ""), or the details of one command or group.
func (p *Program[E]) Help(w io.Writer, topic string) error {
	if topic != "" {
		return p.helpTopic(w, topic)
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(p.Intro, "\n") + "\n")
	if p.Globals != "" {
		b.WriteString("\n" + strings.TrimRight(p.Globals, "\n") + "\n")
	}
	b.WriteString("\nCommands:\n")
	for _, c := range p.commands {
		writeSynopsis(&b, c.Name, c.Args, c.Usage)
	}
	writeSynopsis(&b, "help", "[COMMAND]", "show this text, or the details of one command")
	b.WriteString("\nExit codes:\n")
	for _, e := range p.Exits {
		fmt.Fprintf(&b, "  %d  %s\n", e.Code, strings.ReplaceAll(e.Means, "\n", "\n     "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (p *Program[E]) helpTopic(w io.Writer, topic string) error {
	var b strings.Builder
	for _, c := range p.commands {
		if c.Name != topic && !strings.HasPrefix(c.Name, topic+" ") {
			continue
		}
		writeSynopsis(&b, c.Name, c.Args, c.Usage)
		if c.Help != "" {
			b.WriteString(indent(c.Help, "      ") + "\n")
		}
	}
	if b.Len() == 0 {
		return Usagef("help: unknown command %q", topic)
	}
	fmt.Fprintf(&b, "\nRun '%s help' for every command and the exit codes.\n", p.Name)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSynopsis writes "  name args   usage", the usage on a line of its own when the
// synopsis is too wide for its column.
func writeSynopsis(b *strings.Builder, name, args, usage string) {
	syn := "  " + strings.TrimSpace(name+" "+args)
	if n := utf8.RuneCountInString(syn); n <= synopsisWidth-2 {
		fmt.Fprintf(b, "%s%s%s\n", syn, strings.Repeat(" ", synopsisWidth-n), usage)
		return
	}
	fmt.Fprintf(b, "%s\n%s%s\n", syn, strings.Repeat(" ", synopsisWidth), usage)
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
