// Package ui is the desktop of ebill: the screens a hospital cashier and a finance-bureau clerk
// sit in front of all day. It holds no business logic; every action is a call into
// app/service, made off the UI goroutine, and every change to a widget from that work goes
// through a small named method that wraps fyne.Do.
//
// A UI shows the first-run screen until an identity and a network have been chosen, and goes
// straight to work on later runs (the choice lives in the app's preferences).
package ui

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"ebill/app/node"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/internal/files"
	_ "ebill/ui/syslocale" // before Fyne reads the locale
	"ebill/wallet"
)

// Options configure a UI.
type Options struct {
	// Dir holds the desk's files: the embedded demo network, the light node's headers, the
	// network file and the encrypted key files when there is no keyring.
	Dir string
	// Keyring opens the OS keyring store; nil means wallet.NewKeyringStore with a 10 s
	// timeout. Tests pass a memory store.
	Keyring func() wallet.Store
	// Now is the clock of new bills; nil means time.Now.
	Now func() time.Time
	// Ready is called on the UI goroutine each time a screen that takes input is shown:
	// work is false for the first-run screen and true for the work screens.
	Ready func(work bool)
}

// Preference keys: what the first run chose, so later runs go straight to work.
const (
	prefLang     = "lang"
	prefStore    = "store"    // storeKeyring or storeFile
	prefNetwork  = "network"  // networkDemo or networkFile
	prefIdentity = "identity" // the name the desk acts as
	prefCode     = "bill.code"
	prefAuto     = "autoreview"

	storeKeyring = "keyring"
	storeFile    = "file"
	networkDemo  = "demo"
	networkFile  = "file"
)

// UI is the desk's window and what it is connected to. Its fields are touched only on the UI
// goroutine.
type UI struct {
	app   fyne.App
	win   fyne.Window
	opts  Options
	prefs fyne.Preferences
	tr    *localizer

	ctx    context.Context
	cancel context.CancelFunc

	store wallet.Store
	net   *service.Network
	id    *wallet.Identity
	desk  *service.Desk

	first    *firstRun
	lock     *unlockScreen
	status   *statusBar
	tabs     *container.AppTabs
	cashier  *cashierScreen
	finance  *financeScreen
	bills    *billsScreen
	settings *settingsScreen
	stopAuto context.CancelFunc // the automatic reviewer, while on

	watching *hisWatch // the watched HIS export folder, while there is one

	// pickOpen and pickSave ask the user for a file; tests replace them, because the file
	// dialogs cannot be driven by the test driver.
	pickOpen   func(exts []string, done func(fyne.URIReadCloser))
	pickFolder func(done func(string))
	pickSave   func(name string, done func(fyne.URIWriteCloser))

	pdfs *files.TempDir // the PDFs handed to the system viewer
}

// The PDFs handed to the system viewer hold patient data. They live in one private
// directory per desk (0700, so other users of the machine cannot read them), removed when
// the desk quits. A desk that crashes or is killed leaves its directory behind: SweepPDFs
// removes those at the next start, once a day old, since another desk of the same user may
// be running and still showing its PDFs.
const (
	pdfDirPrefix = "ebill-pdf-"
	pdfMaxAge    = 24 * time.Hour
)

// SweepPDFs removes the PDF directories of desks that ended without removing theirs. Call it
// once at start.
func SweepPDFs() error { return files.SweepTemp(pdfDirPrefix, pdfMaxAge) }

// New makes the desk in window w of app a. Call Start to show it.
func New(a fyne.App, w fyne.Window, opts Options) (*UI, error) {
	if opts.Keyring == nil {
		opts.Keyring = func() wallet.Store { return wallet.NewKeyringStore(10 * time.Second) }
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Ready == nil {
		opts.Ready = func(bool) {}
	}
	u := &UI{app: a, win: w, opts: opts, prefs: a.Preferences()}
	language := u.prefs.String(prefLang)
	if language == "" {
		language = lang.SystemLocale().LanguageString()
	}
	tr, err := newLocalizer(language)
	if err != nil {
		return nil, err
	}
	u.tr = tr
	u.ctx, u.cancel = context.WithCancel(context.Background())
	u.pickOpen, u.pickFolder, u.pickSave = u.openDialog, u.folderDialog, u.saveDialog
	u.pdfs = files.NewTempDir(pdfDirPrefix)
	w.SetIcon(Icon)
	w.Resize(fyne.NewSize(1180, 760))
	return u, nil
}

// Start shows the first-run screen, or on later runs connects and goes to work.
func (u *UI) Start() {
	u.win.SetTitle(u.tr.T("app.title"))
	switch {
	case u.prefs.String(prefNetwork) == "":
		u.showFirstRun()
	case u.prefs.String(prefStore) == storeFile:
		u.showUnlock()
	default:
		u.store = u.opts.Keyring()
		u.connect()
	}
}

// StartDemo skips the first run: the demo network with its identities in an encrypted file
// store under Dir, for scripted runs (the smoke test, start-up measurement).
func (u *UI) StartDemo(passphrase []byte) error {
	s, err := wallet.NewFileStore(filepath.Join(u.opts.Dir, "keys"), passphrase)
	if err != nil {
		return err
	}
	u.store = s
	u.prefs.SetString(prefStore, storeFile)
	u.prefs.SetString(prefNetwork, networkDemo)
	if u.prefs.String(prefIdentity) == "" {
		u.prefs.SetString(prefIdentity, node.DemoCashierName)
	}
	u.win.SetTitle(u.tr.T("app.title"))
	u.connect()
	return nil
}

// Close stops background work and the network, and removes the PDFs opened in the viewer.
func (u *UI) Close() {
	u.cancel()
	if u.net != nil {
		u.net.Close()
	}
	// A PDF a viewer still holds open may keep Windows from removing it: SweepPDFs does at a
	// later start, and nobody is left to tell now.
	u.pdfs.Remove()
}

// connect opens the chosen network and identity off the UI goroutine.
func (u *UI) connect() {
	bar := widget.NewProgressBarInfinite()
	msg := u.tr.T("connect.demo")
	if u.prefs.String(prefNetwork) == networkFile {
		msg = u.tr.T("connect.file")
	}
	u.win.SetContent(container.NewCenter(container.NewVBox(widget.NewLabel(msg), bar)))
	go func() {
		net, err := u.openNetwork()
		if err != nil {
			u.connectFailed(err)
			return
		}
		id, desk, err := u.deskFor(net, u.prefs.String(prefIdentity))
		if err != nil {
			net.Close()
			u.connectFailed(err)
			return
		}
		u.connected(net, id, desk)
	}()
}

func (u *UI) openNetwork() (*service.Network, error) {
	if u.prefs.String(prefNetwork) == networkDemo {
		return service.StartEmbedded(u.ctx, filepath.Join(u.opts.Dir, "demo"), u.store)
	}
	nf, err := readNetworkFile(filepath.Join(u.opts.Dir, "network.json"))
	if err != nil {
		return nil, err
	}
	return service.Connect(u.ctx, service.Options{Network: nf, Dir: filepath.Join(u.opts.Dir, "light")})
}

// deskFor loads the identity called name and learns its account.
func (u *UI) deskFor(net *service.Network, name string) (*wallet.Identity, *service.Desk, error) {
	id, err := u.store.Load(u.ctx, name)
	if err != nil {
		return nil, nil, err
	}
	desk, err := net.As(u.ctx, id)
	if errors.Is(err, service.ErrNotFound) {
		err = &unregisteredError{address: wallet.Address(id.PublicKey()), err: err}
	}
	return id, desk, err
}

// unregisteredError is an identity the ledger does not know yet: the bureau must register
// its address first.
type unregisteredError struct {
	address string
	err     error
}

func (e *unregisteredError) Error() string { return "identity " + e.address + " is not registered" }
func (e *unregisteredError) Unwrap() error { return e.err }

func (u *UI) connected(net *service.Network, id *wallet.Identity, desk *service.Desk) {
	fyne.Do(func() {
		u.net, u.id, u.desk = net, id, desk
		u.status = newStatusBar(u)
		go u.status.watch(u.ctx, net)
		u.showWork()
		u.setAutoReview(u.prefs.Bool(prefAuto))
	})
}

func (u *UI) connectFailed(err error) {
	fyne.Do(func() {
		retry := widget.NewButton(u.tr.T("connect.retry"), u.connect)
		over := widget.NewButton(u.tr.T("connect.startover"), u.startOver)
		u.win.SetContent(container.NewCenter(container.NewVBox(
			widget.NewLabel(u.tr.T("connect.failed")), container.NewHBox(retry, over))))
		u.showError(err)
	})
}

// startOver forgets the setup (not the keys) and shows the first run again.
func (u *UI) startOver() {
	for _, k := range []string{prefStore, prefNetwork, prefIdentity, prefAuto} {
		u.prefs.RemoveValue(k)
	}
	u.showFirstRun()
}

// showWork builds the work screens for the desk's role; it is also how a new language or a
// switched role takes effect.
func (u *UI) showWork() {
	u.win.SetTitle(u.tr.T("app.title"))
	acct := u.desk.Account()
	u.bills = newBillsScreen(u)
	u.settings = newSettingsScreen(u)
	u.cashier, u.finance = nil, nil
	var first *container.TabItem
	switch acct.Role {
	case wire.RoleCashier:
		u.cashier = newCashierScreen(u)
		first = container.NewTabItem(u.tr.T("tab.cashier"), u.cashier.content)
	case wire.RoleFinance:
		u.finance = newFinanceScreen(u)
		first = container.NewTabItem(u.tr.T("tab.finance"), u.finance.content)
	}
	items := []*container.TabItem{
		container.NewTabItem(u.tr.T("tab.bills"), u.bills.content),
		container.NewTabItem(u.tr.T("tab.settings"), u.settings.content),
	}
	if first != nil {
		items = append([]*container.TabItem{first}, items...)
	}
	u.tabs = container.NewAppTabs(items...)
	u.status.relabel()
	u.win.SetContent(container.NewBorder(nil, u.status.content, nil, nil, u.tabs))
	u.registerShortcuts()
	if u.cashier != nil {
		u.cashier.load()
		u.win.Canvas().Focus(u.cashier.form.payerName) // the next patient is the first thing typed
	}
	if u.finance != nil {
		u.finance.load()
	}
	u.opts.Ready(true)
}

// registerShortcuts binds the submit shortcuts for when no entry has the focus (entries
// catch them themselves: see formEntry).
func (u *UI) registerShortcuts() {
	for _, s := range submitShortcuts {
		u.win.Canvas().RemoveShortcut(s)
		if u.cashier != nil {
			f := u.cashier.form
			u.win.Canvas().AddShortcut(s, func(fyne.Shortcut) { f.onSubmit() })
		}
	}
}

// showBill opens the bill with this id on the bills screen.
func (u *UI) showBill(id string) {
	u.tabs.Select(u.tabs.Items[len(u.tabs.Items)-2])
	u.bills.open(id)
}

// setLanguage switches the language and rebuilds the screens.
func (u *UI) setLanguage(language string) {
	u.prefs.SetString(prefLang, language)
	u.tr.set(language)
	if u.desk != nil {
		u.showWork()
		u.tabs.SelectIndex(len(u.tabs.Items) - 1)
		return
	}
	u.showFirstRun()
}

// actAs switches the desk to another identity of the store (the demo's cashier and clerk).
func (u *UI) actAs(name string) {
	go func() {
		id, desk, err := u.deskFor(u.net, name)
		if err != nil {
			u.failed(err)
			return
		}
		u.switched(name, id, desk)
	}()
}

func (u *UI) switched(name string, id *wallet.Identity, desk *service.Desk) {
	fyne.Do(func() {
		u.prefs.SetString(prefIdentity, name)
		u.id, u.desk = id, desk
		if u.watching != nil { // the HIS folder was the previous identity's to submit
			u.watching.stop()
			u.watching = nil
		}
		u.setAutoReview(u.prefs.Bool(prefAuto))
		u.showWork()
	})
}

// setAutoReview runs the automatic reviewer of a bureau account while on: every few seconds
// it approves the queued bills that pass every rule and leaves the rest to the clerk.
func (u *UI) setAutoReview(on bool) {
	if u.stopAuto != nil {
		u.stopAuto()
		u.stopAuto = nil
	}
	if !on || u.desk.Account().Role != wire.RoleFinance {
		return
	}
	ctx, stop := context.WithCancel(u.ctx)
	u.stopAuto = stop
	desk := u.desk
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			rep, err := desk.AutoReview(ctx, nil)
			if ctx.Err() != nil {
				return // switched off: what it was doing is no longer this desk's news
			}
			if err != nil || rep.Approved > 0 || len(rep.Failed) > 0 || len(rep.Gone) > 0 {
				u.autoReviewed(rep, err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// autoReviewed tells the clerk what a background run of the automatic reviewer did, its
// failure included; it leaves the bill the clerk is looking at alone.
func (u *UI) autoReviewed(rep service.AutoReport, err error) {
	fyne.Do(func() {
		if u.finance == nil {
			return
		}
		s := u.autoText(rep)
		if err == nil && len(rep.Failed) > 0 {
			err = rep.Failed[0]
		}
		if err != nil {
			what, _ := u.explain(err)
			s += " " + u.tr.F("finance.auto.error", what)
		}
		u.finance.tell(s)
		u.finance.load()
	})
}

// now is the clock of new bills.
func (u *UI) now() time.Time { return u.opts.Now() }
