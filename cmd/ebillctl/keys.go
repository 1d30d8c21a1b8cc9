package main

import (
	"context"
	"fmt"
	"os"

	"ebill/wallet"
)

func (c *cli) cmdKeys(args []string) error {
	if len(args) == 0 {
		return usagef("keys: want new, list, show, export, import or delete")
	}
	sub, rest := args[0], args[1:]
	fs := c.flags("keys " + sub)
	ctx := context.Background()
	switch sub {
	case "new":
		pos, err := parse(fs, rest, 1, 1, "a NAME")
		if err != nil {
			return err
		}
		return c.keysNew(ctx, pos[0])
	case "list":
		if _, err := parse(fs, rest, 0, 0, ""); err != nil {
			return err
		}
		return c.keysList(ctx)
	case "show":
		pos, err := parse(fs, rest, 1, 1, "a NAME")
		if err != nil {
			return err
		}
		return c.keysShow(ctx, pos[0])
	case "export":
		name, out, err := parseOut(fs, rest, "a NAME", "FILE")
		if err != nil {
			return err
		}
		return c.keysExport(ctx, name, out)
	case "import":
		pos, err := parse(fs, rest, 1, 1, "a backup FILE")
		if err != nil {
			return err
		}
		return c.keysImport(ctx, pos[0])
	case "delete":
		yes := fs.Bool("yes", false, "")
		pos, err := parse(fs, rest, 1, 1, "a NAME")
		if err != nil {
			return err
		}
		if !*yes {
			return usagef("keys delete: deleting %q cannot be undone; add --yes (export a backup first)", pos[0])
		}
		return c.keysDelete(ctx, pos[0])
	default:
		return usagef("keys: unknown subcommand %q (want new, list, show, export, import or delete)", sub)
	}
}

func (c *cli) keysNew(ctx context.Context, name string) error {
	store, err := c.store()
	if err != nil {
		return err
	}
	id, err := wallet.New(name)
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
