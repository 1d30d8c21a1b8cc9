package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"ebill/wallet"
)

// keyringTimeout bounds every keyring call: a locked keyring may wait for a prompt nobody
// answers on a headless machine.
const keyringTimeout = 10 * time.Second

// cli holds the global flags and the standard streams every command uses.
type cli struct {
	stdin          *os.File
	stdout, stderr io.Writer

	network  string
	keystore string // "" until given: os, except for the demo
	identity string
	data     string // "" until given: see lightDir
	timeout  time.Duration
	json     bool
}

func newCLI(stdin *os.File, stdout, stderr io.Writer) *cli {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr,
		network:  os.Getenv("EBILL_NETWORK"),
		keystore: os.Getenv("EBILL_KEYSTORE"),
		identity: os.Getenv("EBILL_IDENTITY"),
	}
	return c
}

// flags returns a flag set holding the global flags, so that they may come before or after
// a command and its arguments.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // report prints the error once, with a hint
	fs.StringVar(&c.network, "network", c.network, "")
	fs.StringVar(&c.keystore, "keystore", c.keystore, "")
	fs.StringVar(&c.identity, "identity", c.identity, "")
	fs.StringVar(&c.data, "data", c.data, "")
	fs.DurationVar(&c.timeout, "timeout", c.timeout, "")
	fs.BoolVar(&c.json, "json", c.json, "")
	return fs
}

// parseOut parses a command of one positional argument (what names it) and a required
// --out (outWhat names its value).
func parseOut(fs *flag.FlagSet, args []string, what, outWhat string) (arg, out string, err error) {
	o := fs.String("out", "", "")
	pos, err := parse(fs, args, 1, 1, what)
	if err != nil {
		return "", "", err
	}
	if *o == "" {
		return "", "", usagef("%s: --out %s is required", fs.Name(), outWhat)
	}
	return pos[0], *o, nil
}

// parse parses flags anywhere among the arguments (`get ID --json` as well as
// `get --json ID`) and checks that there are min to max positional arguments (max < 0: no
// limit); what names them for the error.
func parse(fs *flag.FlagSet, args []string, min, max int, what string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	switch {
	case len(pos) < min:
		return nil, usagef("%s: want %s", fs.Name(), what)
	case max >= 0 && len(pos) > max:
		return nil, usagef("%s: unexpected argument %q", fs.Name(), pos[max])
	}
	return pos, nil
}

// store opens the key store that --keystore names.
func (c *cli) store() (wallet.Store, error) {
	if c.keystore == "" || c.keystore == "os" {
		return wallet.NewKeyringStore(keyringTimeout), nil
	}
	dir, ok := strings.CutPrefix(c.keystore, "file:")
	if !ok || dir == "" {
		return nil, usagef("--keystore %q: want os or file:DIR", c.keystore)
	}
	pass, err := c.passphrase("EBILL_PASSPHRASE", "passphrase of key store "+dir)
	if err != nil {
		return nil, err
	}
	return openFileStore(dir, pass)
}

func openFileStore(dir string, pass []byte) (*wallet.FileStore, error) {
	store, err := wallet.NewFileStore(dir, pass)
	if err != nil {
		return nil, err
	}
	if err := checkPassphrase(store); err != nil {
		return nil, fmt.Errorf("key store %s: %w", dir, err)
	}
	return store, nil
}

// checkPassphrase opens one identity of a file store, so that a mistyped passphrase is
// refused before anything is saved under it beside identities saved under the right one.
func checkPassphrase(store *wallet.FileStore) error {
	ctx := context.Background()
	names, err := store.List(ctx)
	if err != nil || len(names) == 0 {
		return err
	}
	_, err = store.Load(ctx, names[0])
	return err
}

// lightDir is where the light node keeps verified headers: --data, or the user's cache.
func (c *cli) lightDir() (string, error) {
	if c.data != "" {
		return c.data, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", usagef("no directory for the light node (%v): give --data DIR", err)
	}
	return filepath.Join(dir, "ebill"), nil
}

// signer loads the identity that --identity names.
func (c *cli) signer(ctx context.Context, store wallet.Store) (*wallet.Identity, error) {
	if c.identity == "" {
		return nil, usagef("no identity: give --identity NAME or set EBILL_IDENTITY")
	}
	return loadIdentity(ctx, store, c.identity)
}

// loadIdentity loads the identity name from store; the error names it.
func loadIdentity(ctx context.Context, store wallet.Store, name string) (*wallet.Identity, error) {
	id, err := store.Load(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("load identity %q: %w", name, err)
	}
	return id, nil
}

// passphrase reads a passphrase from the environment variable env, or else asks for it on
// the terminal without echo. It never reads a passphrase from a pipe: a script sets env.
func (c *cli) passphrase(env, prompt string) ([]byte, error) {
	if p := os.Getenv(env); p != "" {
		return []byte(p), nil
	}
	fd := int(c.stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, inputErr(fmt.Errorf("%s is needed: set %s (no terminal to ask on)", prompt, env))
	}
	fmt.Fprintf(c.stderr, "%s: ", prompt)
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(c.stderr)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", prompt, err)
	}
	if len(p) == 0 {
		return nil, usagef("%s is empty", prompt)
	}
	return p, nil
}

// printJSON writes v as indented JSON, the --json form of every result.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
