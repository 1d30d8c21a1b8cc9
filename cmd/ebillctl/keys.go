package main

import (
	"context"
	"fmt"
	"os"

	"ebill/cmd/internal/cmdline"
	"ebill/wallet"
)

func init() {
	for _, k := range []cmdline.Command[*cli]{
		{Name: "keys new", Args: "NAME", Usage: "create an identity; prints its public keys to register",
			Run: func(c *cli, args []string) error { return c.keysNamed("keys new", args, c.keysNew) }},
		{Name: "keys list", Usage: "name and address of every identity in the key store",
			Run: func(c *cli, args []string) error {
				if _, err := parse(c.flags("keys list"), args, 0, 0, ""); err != nil {
					return err
				}
				return c.keysList(context.Background())
			}},
		{Name: "keys show", Args: "NAME", Usage: "its address and public keys",
			Run: func(c *cli, args []string) error { return c.keysNamed("keys show", args, c.keysShow) }},
		{Name: "keys export", Args: "NAME --out FILE", Usage: "write an encrypted backup",
			Help: "Its passphrase comes from EBILL_BACKUP_PASSPHRASE or a prompt.",
			Run: func(c *cli, args []string) error {
				name, out, err := parseOut(c.flags("keys export"), args, "a NAME", "FILE")
				if err != nil {
					return err
				}
				return c.keysExport(context.Background(), name, out)
			}},
		{Name: "keys import", Args: "FILE", Usage: "restore a backup into the key store",
			Run: func(c *cli, args []string) error {
				pos, err := parse(c.flags("keys import"), args, 1, 1, "a backup FILE")
				if err != nil {
					return err
				}
				return c.keysImport(context.Background(), pos[0])
			}},
		{Name: "keys delete", Args: "NAME --yes", Usage: "remove an identity from the key store (no undo)",
			Run: func(c *cli, args []string) error {
				fs := c.flags("keys delete")
				yes := fs.Bool("yes", false, "")
				pos, err := parse(fs, args, 1, 1, "a NAME")
				if err != nil {
					return err
				}
				if !*yes {
					return usagef("keys delete: deleting %q cannot be undone; add --yes (export a backup first)", pos[0])
				}
				return c.keysDelete(context.Background(), pos[0])
			}},
	} {
		program.Register(k)
	}
}

// keysNamed runs a keys subcommand of one NAME.
func (c *cli) keysNamed(name string, args []string, do func(ctx context.Context, name string) error) error {
	pos, err := parse(c.flags(name), args, 1, 1, "a NAME")
	if err != nil {
		return err
	}
	return do(context.Background(), pos[0])
}

func (c *cli) keysNew(ctx context.Context, name string) error {
	store, err := c.store()
	if err != nil {
		return err
	}
	id, err := wallet.NewIdentity(name)
	if err != nil {
		return usagef("keys new: %v", err)
	}
	if err := store.Save(ctx, id); err != nil {
		return fmt.Errorf("save identity %q: %w", name, err)
	}
	return c.printPublic("created", id.Public())
}

func (c *cli) keysList(ctx context.Context) error {
	store, err := c.store()
	if err != nil {
		return err
	}
	names, err := store.List(ctx)
	if err != nil {
		return fmt.Errorf("list identities: %w", err)
	}
	// Loading each one shows its address and proves the passphrase opens it.
	type entry struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	}
	list := make([]entry, 0, len(names))
	for _, n := range names {
		id, err := loadIdentity(ctx, store, n)
		if err != nil {
			return err
		}
		list = append(list, entry{n, id.Public().Address})
	}
	if c.json {
		return c.printJSON(map[string]any{"identities": list})
	}
	for _, e := range list {
		fmt.Fprintf(c.stdout, "%-24s %s\n", e.Name, e.Address)
	}
	return nil
}

func (c *cli) keysShow(ctx context.Context, name string) error {
	store, err := c.store()
	if err != nil {
		return err
	}
	id, err := loadIdentity(ctx, store, name)
	if err != nil {
		return err
	}
	return c.printPublic("", id.Public())
}

// printPublic prints what the admin registers on the ledger for an identity.
func (c *cli) printPublic(verb string, p wallet.Public) error {
	if c.json {
		return c.printJSON(p)
	}
	if verb != "" {
		fmt.Fprintf(c.stdout, "%s identity %s\n", verb, p.Name)
	}
	// The KEM key is 1,216 bytes: the admin registers it from --json, not from the screen.
	fmt.Fprintf(c.stdout, "name:     %s\naddress:  %s\nsign key: %x\nkem key:  %x… (%d bytes; --json shows all)\n",
		p.Name, p.Address, p.SignKey, p.KEMKey[:16], len(p.KEMKey))
	return nil
}

func (c *cli) keysExport(ctx context.Context, name, out string) error {
	store, err := c.store()
	if err != nil {
		return err
	}
	id, err := loadIdentity(ctx, store, name)
	if err != nil {
		return err
	}
	pass, err := c.passphrase("EBILL_BACKUP_PASSPHRASE", "passphrase of the backup")
	if err != nil {
		return err
	}
	// O_EXCL: a backup never overwrites another file, perhaps an older backup of another key.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("export %q: %w", name, err)
	}
	if err := wallet.Export(f, id, pass); err != nil {
		f.Close()
		os.Remove(out)
		return fmt.Errorf("export %q: %w", name, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(out)
		return fmt.Errorf("export %q: %w", name, err)
	}
	fmt.Fprintf(c.stdout, "exported %s to %s\n", name, out)
	return nil
}

func (c *cli) keysImport(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return inputErr(fmt.Errorf("import: %w", err))
	}
	defer f.Close()
	pass, err := c.passphrase("EBILL_BACKUP_PASSPHRASE", "passphrase of the backup")
	if err != nil {
		return err
	}
	id, err := wallet.Import(f, pass)
	if err != nil {
		return fmt.Errorf("import %q: %w", path, err)
	}
	store, err := c.store()
	if err != nil {
		return err
	}
	if err := store.Save(ctx, id); err != nil {
		return fmt.Errorf("save identity %q: %w", id.Name(), err)
	}
	return c.printPublic("imported", id.Public())
}

func (c *cli) keysDelete(ctx context.Context, name string) error {
	store, err := c.store()
	if err != nil {
		return err
	}
	if err := store.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete identity %q: %w", name, err)
	}
	fmt.Fprintf(c.stdout, "deleted %s\n", name)
	return nil
}
