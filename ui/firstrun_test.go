package ui

import (
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"ebill/app/node"
	"ebill/app/service"
	"ebill/wallet"
)

// TestUnlock is a returning user whose keys are in the passphrase-protected key file: a
// wrong or empty passphrase is said under the field, with the field cleared for the next
// try, and the right one goes straight to work.
func TestUnlock(t *testing.T) {
	u, w, shown := newTestUI(t, langEN, nil)
	const pass = "correct horse battery"
	st, err := wallet.NewFileStore(filepath.Join(u.opts.Dir, "keys"), []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := node.NewDemoIdentities()
	if err != nil {
		t.Fatal(err)
	}
	if err := ids.Save(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	u.prefs.SetString(prefStore, storeFile)
	u.prefs.SetString(prefNetwork, networkDemo)
	u.prefs.SetString(prefIdentity, node.DemoCashierName)
	u.Start()
	s := u.lock
	if s == nil || w.Canvas().Focused() != s.pass {
		t.Fatal("no unlock screen with the cursor in the passphrase")
	}
	what, next := u.explain(wallet.ErrWrongPassphrase)
	for _, try := range []struct {
		name, pass string
		work       bool
	}{
		{"wrong", "correct horse battery staple", false},
		{"empty", "", false},
		{"right", pass, true},
	} {
		typeIn(w, s.pass, try.pass)
		enter(s.pass)
		if try.work {
			waitFor(t, "the work screens", func() bool { return shown.Load() == 1 })
			if u.cashier == nil || u.desk.Account().Name == "" {
				t.Errorf("%s passphrase: not at the cashier's desk", try.name)
			}
			continue
		}
		waitFor(t, "the "+try.name+" passphrase refused", func() bool { return s.msg.Visible() && !s.unlock.Disabled() })
		if s.msg.Text != what+" "+next || s.pass.Text != "" || w.Canvas().Focused() != s.pass {
			t.Errorf("%s passphrase: message %q, field %q, focus %T", try.name, s.msg.Text, s.pass.Text, w.Canvas().Focused())
		}
		if top := w.Canvas().Overlays().Top(); top != nil {
			t.Errorf("%s passphrase: a dialog %q", try.name, texts(top))
		}
		if shown.Load() != 0 || u.store != nil {
			t.Fatalf("%s passphrase unlocked the desk", try.name)
		}
	}
}

// TestFirstRunImport is a first run on a bureau's network: the user imports a backup of
// an identity the ledger knows, then the network file of a running node, through the
// handlers the file dialogs call. A wrong backup passphrase and a bad network file are
// refused with a message in the user's language, and leave the user where they were.
func TestFirstRunImport(t *testing.T) {
	ctx := t.Context()
	keys := wallet.NewMemoryStore()
	net, err := service.StartEmbedded(ctx, t.TempDir(), keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Close() })
	dir := t.TempDir()
	netFile, badNet, backup := filepath.Join(dir, "network.json"), filepath.Join(dir, "bad.json"), filepath.Join(dir, "cashier.ebillkey")
	if err := node.WriteNetworkFileAtomic(netFile, net.File()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badNet, []byte(`{"chain_id": "ebill-demo", "primary": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cashier, err := keys.Load(ctx, node.DemoCashierName)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := wallet.Export(f, cashier, []byte("backup passphrase")); err != nil {
		t.Fatal(err)
	}
	f.Close()

	u, w, shown := newTestUI(t, langZH, nil)
	tr := u.tr
	u.Start()
	fr := u.first
	waitFor(t, "the keyring probe", func() bool { return !fr.imp.Disabled() })

	wrong, _ := u.explain(wallet.ErrWrongPassphrase)
	typeIn(w, fr.backup, "not the backup passphrase")
	pick(t, u, backup)
	test.Tap(fr.imp)
	dialogSays(t, w, wrong)
	waitFor(t, "the import button back", func() bool { return !fr.imp.Disabled() })
	if fr.demo != nil {
		t.Fatal("a wrong backup passphrase went on to the network step")
	}
	fr.backup.SetText("")
	typeIn(w, fr.backup, "backup passphrase")
	test.Tap(fr.imp)
	waitFor(t, "the network step", func() bool { return fr.demo != nil })
	if !shows(fr.step, node.DemoCashierName) || u.prefs.String(prefIdentity) != node.DemoCashierName {
		t.Errorf("network step after the import: %q", texts(fr.step))
	}

	pick(t, u, badNet)
	test.Tap(fr.netFile)
	dialogSays(t, w, tr.T("first.netfile.bad"))
	if u.prefs.String(prefNetwork) != "" {
		t.Fatalf("a bad network file was taken: %q", u.prefs.String(prefNetwork))
	}
	pick(t, u, netFile)
	test.Tap(fr.netFile)
	waitFor(t, "the work screens", func() bool { return shown.Load() == 1 })
	if u.cashier == nil || u.net.ChainID() != node.DemoChainID || !u.id.PublicKey().Equal(cashier.PublicKey()) {
		t.Errorf("connected as %v to %s, want the demo cashier", u.desk.Account(), u.net.ChainID())
	}
	if _, err := os.Stat(filepath.Join(u.opts.Dir, "network.json")); err != nil {
		t.Errorf("the network file is not kept for later runs: %v", err)
	}
}
