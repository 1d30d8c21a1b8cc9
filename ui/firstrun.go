package ui

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"ebill/app/node"
	"ebill/wallet"
)

// minPassphrase is the shortest passphrase the desk accepts for a key file or a backup.
const minPassphrase = 8

// firstRun is the screen of a fresh machine: an identity first, then a network.
type firstRun struct {
	u       *UI
	keyring *widget.Label // what the keyring probe found
	name    *widget.Entry
	pass    *widget.Entry // the key file's passphrase, when there is no keyring
	pass2   *widget.Entry
	backup  *widget.Entry // the passphrase of a backup to import
	create  *widget.Button
	imp     *widget.Button
	demo    *widget.Button
	netFile *widget.Button
	fileBox *fyne.Container
	step    *fyne.Container // the identity step, then the network step
	content fyne.CanvasObject

	useFile bool // the keyring did not answer: keys go to a passphrase-protected file
}

func (u *UI) showFirstRun() {
	f := &firstRun{u: u}
	u.first = f
	tr := u.tr
	f.keyring = wrapped(tr.T("first.keyring.checking"))
	f.name = widget.NewEntry()
	f.name.SetPlaceHolder(tr.T("first.name.hint"))
	f.name.OnSubmitted = func(string) { f.onCreate() }
	f.pass, f.pass2, f.backup = widget.NewPasswordEntry(), widget.NewPasswordEntry(), widget.NewPasswordEntry()
	f.pass.SetPlaceHolder(tr.T("first.pass.hint"))
	f.pass2.SetPlaceHolder(tr.T("first.pass2.hint"))
	f.backup.SetPlaceHolder(tr.T("first.backup.hint"))
	f.fileBox = container.NewVBox(widget.NewLabel(tr.T("first.pass")), f.pass, f.pass2)
	f.fileBox.Hide()
	f.create = widget.NewButton(tr.T("first.create"), f.onCreate)
	f.create.Importance = widget.HighImportance
	f.imp = widget.NewButton(tr.T("first.import"), f.onImport)
	f.create.Disable()
	f.imp.Disable()
	f.step = container.NewVBox(
		heading(tr.T("first.step1")),
		f.keyring,
		widget.NewLabel(tr.T("first.name")), f.name,
		f.fileBox,
		container.NewHBox(f.create),
		widget.NewSeparator(),
		widget.NewLabel(tr.T("first.or.import")), f.backup, container.NewHBox(f.imp),
	)
	language := widget.NewSelect([]string{"中文", "English"}, func(s string) {
		if l := map[string]string{"中文": langZH, "English": langEN}[s]; l != u.tr.lang {
			u.setLanguage(l)
		}
	})
	language.SetSelected(map[string]string{langZH: "中文", langEN: "English"}[u.tr.lang])
	top := container.NewBorder(nil, nil, nil, language, heading(tr.T("first.welcome")))
	f.content = container.NewBorder(container.NewVBox(top, wrapped(tr.T("first.intro"))), nil, nil, nil,
		container.NewVScroll(container.NewPadded(f.step)))
	u.win.SetContent(container.NewPadded(f.content))
	go f.probe(u.opts.Keyring())
	u.opts.Ready(false)
}

// probe asks the keyring for its list: an answer means it works, anything else means the
// desk must offer the file store.
func (f *firstRun) probe(s wallet.Store) {
	_, err := s.List(f.u.ctx)
	f.probed(s, err)
}

func (f *firstRun) probed(s wallet.Store, err error) {
	fyne.Do(func() {
		if err == nil {
			f.u.store = s
			f.keyring.SetText(f.u.tr.T("first.keyring.ok"))
		} else {
			f.useFile = true
			f.keyring.SetText(f.u.tr.T("first.keyring.none"))
			f.keyring.Importance = widget.WarningImportance
			f.keyring.Refresh()
			f.fileBox.Show()
		}
		f.imp.Enable()
		f.create.Enable()
	})
}

// fileStore opens the passphrase-protected store after checking the two passphrases.
func (f *firstRun) fileStore() bool {
	tr := f.u.tr
	switch {
	case len(f.pass.Text) < minPassphrase:
		f.u.showError(&inputError{tr.F("first.pass.short", minPassphrase)})
		return false
	case f.pass.Text != f.pass2.Text:
		f.u.showError(&inputError{tr.T("first.pass.mismatch")})
		return false
	}
	s, err := wallet.NewFileStore(filepath.Join(f.u.opts.Dir, "keys"), []byte(f.pass.Text))
	if err != nil {
		f.u.showError(err)
		return false
	}
	f.u.store = s
	return true
}

func (f *firstRun) onCreate() {
	if f.u.store == nil && (!f.useFile || !f.fileStore()) {
		return
	}
	id, err := wallet.NewIdentity(f.name.Text)
	if err != nil {
		f.u.showError(&inputError{f.u.tr.T("first.name.bad")})
		return
	}
	f.save(id)
}

func (f *firstRun) onImport() {
	if f.u.store == nil && (!f.useFile || !f.fileStore()) {
		return
	}
	f.u.pickOpen(nil, f.importBackup)
}

// importBackup is what the file dialog hands the chosen backup to. Decrypting it takes a
// deliberate fraction of a second (scrypt), so it happens off the UI goroutine.
func (f *firstRun) importBackup(r fyne.URIReadCloser) {
	pass, store := []byte(f.backup.Text), f.u.store
	f.imp.Disable()
	go func() {
		defer r.Close()
		id, err := wallet.Import(io.LimitReader(r, 1<<20), pass)
		if err == nil {
			err = store.Save(f.u.ctx, id)
		}
		f.saved(id, err)
	}()
}

// save puts the identity into the store off the UI goroutine: a keyring may be slow.
func (f *firstRun) save(id *wallet.Identity) {
	f.create.Disable()
	go func() {
		err := f.u.store.Save(f.u.ctx, id)
		f.saved(id, err)
	}()
}

func (f *firstRun) saved(id *wallet.Identity, err error) {
	fyne.Do(func() {
		f.create.Enable()
		f.imp.Enable()
		if err != nil {
			f.u.showError(err)
			return
		}
		store := storeKeyring
		if f.useFile {
			store = storeFile
		}
		f.u.prefs.SetString(prefStore, store)
		f.u.prefs.SetString(prefIdentity, id.Name())
		f.showNetworkStep(id)
	})
}

func (f *firstRun) showNetworkStep(id *wallet.Identity) {
	tr := f.u.tr
	f.demo = widget.NewButton(tr.T("first.demo"), f.onDemo)
	f.demo.Importance = widget.HighImportance
	f.netFile = widget.NewButton(tr.T("first.netfile"), f.onNetworkFile)
	f.step.Objects = []fyne.CanvasObject{
		heading(tr.T("first.step2")),
		wrapped(tr.F("first.created", id.Name(), wallet.Address(id.PublicKey()))),
		wrapped(tr.T("first.demo.about")), container.NewHBox(f.demo),
		widget.NewSeparator(),
		wrapped(tr.T("first.netfile.about")), container.NewHBox(f.netFile),
	}
	f.step.Refresh()
}

// onDemo starts the embedded demo network and acts as its cashier: the demo's identities
// live in the same store as the user's own.
func (f *firstRun) onDemo() {
	f.u.prefs.SetString(prefNetwork, networkDemo)
	f.u.prefs.SetString(prefIdentity, node.DemoCashierName)
	f.u.connect()
}

func (f *firstRun) onNetworkFile() { f.u.pickOpen([]string{".json"}, f.importNetwork) }

// importNetwork is what the file dialog hands the chosen network file to: a valid one is
// kept in Dir for later runs, and the desk connects through it.
func (f *firstRun) importNetwork(r fyne.URIReadCloser) {
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, node.MaxNetworkFileSize+1))
	if err == nil {
		_, err = node.ReadNetworkFile(bytes.NewReader(data))
	}
	if err == nil {
		err = os.MkdirAll(f.u.opts.Dir, 0o700)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(f.u.opts.Dir, "network.json"), data, 0o600)
	}
	if err != nil {
		f.u.showError(&inputError{f.u.tr.T("first.netfile.bad")})
		return
	}
	f.u.prefs.SetString(prefNetwork, networkFile)
	f.u.connect()
}

// unlockScreen asks a returning user for the passphrase of the key file store.
type unlockScreen struct {
	u      *UI
	pass   *widget.Entry
	unlock *widget.Button
	msg    *widget.Label // a wrong passphrase, said where the user is typing
}

func (u *UI) showUnlock() {
	s := &unlockScreen{u: u, pass: widget.NewPasswordEntry(), msg: widget.NewLabel("")}
	u.lock = s
	s.pass.OnSubmitted = func(string) { s.onUnlock() }
	s.unlock = widget.NewButton(u.tr.T("unlock.button"), s.onUnlock)
	s.unlock.Importance = widget.HighImportance
	s.msg.Importance = widget.DangerImportance
	s.msg.Hide()
	u.win.SetContent(container.NewCenter(container.NewVBox(heading(u.tr.T("unlock.title")),
		widget.NewLabel(u.tr.T("unlock.prompt")), s.pass, s.msg, s.unlock)))
	u.win.Canvas().Focus(s.pass)
	u.opts.Ready(false)
}

// onUnlock opens the store and loads the identity the desk acts as, which is what proves the
// passphrase: scrypt makes that take a while, so it happens off the UI goroutine.
func (s *unlockScreen) onUnlock() {
	dir, name, pass := filepath.Join(s.u.opts.Dir, "keys"), s.u.prefs.String(prefIdentity), []byte(s.pass.Text)
	if len(pass) == 0 { // Enter pressed too early: no store opens without a passphrase
		s.show(nil, wallet.ErrWrongPassphrase)
		return
	}
	s.unlock.Disable()
	s.msg.Hide()
	go func() {
		st, err := wallet.NewFileStore(dir, pass)
		if err == nil {
			_, err = st.Load(s.u.ctx, name)
		}
		s.unlocked(st, err)
	}()
}

func (s *unlockScreen) unlocked(st wallet.Store, err error) { fyne.Do(func() { s.show(st, err) }) }

// show acts on the outcome of an unlock: to work, or what went wrong.
func (s *unlockScreen) show(st wallet.Store, err error) {
	s.unlock.Enable()
	switch {
	case errors.Is(err, wallet.ErrWrongPassphrase):
		// The common slip: say so under the field and let the user type again, with no
		// dialog to dismiss first.
		what, next := s.u.explain(err)
		s.msg.SetText(what + " " + next)
		s.msg.Show()
		s.pass.SetText("")
		s.u.win.Canvas().Focus(s.pass)
	case err != nil:
		s.u.showError(err)
	default:
		s.u.store = st
		s.u.connect()
	}
}

func readNetworkFile(path string) (node.NetworkFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return node.NetworkFile{}, err
	}
	defer f.Close()
	return node.ReadNetworkFile(f)
}

// inputError is a mistake in what the user typed, already said in their language.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

// heading starts a section. The bundled face has no bold, so headings stand out by colour.
func heading(s string) *widget.Label {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Importance = widget.HighImportance
	return l
}
