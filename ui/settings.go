package ui

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"ebill/app/node"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/wallet"
)

// languages are the choices of the language picker, with the language each one sets.
var languages = []struct{ name, code string }{{"中文", langZH}, {"English", langEN}}

// settingsScreen: language, identity, network and light node, keys, the automatic reviewer.
type settingsScreen struct {
	u          *UI
	network    *widget.Label
	pass       *widget.Entry // of a backup to write
	pass2      *widget.Entry
	importPass *widget.Entry // of a backup to read
	member     *widget.Entry // signing key of a member to grant the org key to
	note       *widget.Label
	switchRole *widget.Button // in the demo: cashier ↔ clerk
	content    fyne.CanvasObject
}

func newSettingsScreen(u *UI) *settingsScreen {
	tr := u.tr
	s := &settingsScreen{u: u, network: wrapped(""), note: wrapped(""),
		pass: widget.NewPasswordEntry(), pass2: widget.NewPasswordEntry(), importPass: widget.NewPasswordEntry(),
		member: widget.NewEntry()}
	names := make([]string, len(languages))
	current := 0
	for i, l := range languages {
		names[i] = l.name
		if l.code == tr.lang {
			current = i
		}
	}
	language := widget.NewSelect(names, nil)
	language.SetSelectedIndex(current)
	language.OnChanged = func(string) { u.setLanguage(languages[language.SelectedIndex()].code) }

	acct := u.desk.Account()
	pub := widget.NewLabel(hex.EncodeToString(u.id.PublicKey()))
	pub.Selectable = true
	address := widget.NewLabel(acct.Address)
	address.Selectable = true
	identity := container.New(layout.NewFormLayout(),
		widget.NewLabel(tr.T("settings.name")), widget.NewLabel(acct.Name),
		widget.NewLabel(tr.T("settings.role")), widget.NewLabel(tr.T("role."+acct.Role.String())),
		widget.NewLabel(tr.T("settings.org")), widget.NewLabel(acct.OrgName+" ("+acct.Org+")"),
		widget.NewLabel(tr.T("settings.address")), address,
		widget.NewLabel(tr.T("settings.pubkey")), pub,
	)
	objs := []fyne.CanvasObject{
		heading(tr.T("settings.language")), container.NewHBox(language),
		heading(tr.T("settings.identity")), identity,
	}
	if u.prefs.String(prefNetwork) == networkDemo {
		other, key := node.DemoClerkName, "settings.demo.clerk"
		if acct.Role == wire.RoleFinance {
			other, key = node.DemoCashierName, "settings.demo.cashier"
		}
		s.switchRole = widget.NewButton(tr.T(key), func() { u.actAs(other) })
		objs = append(objs, container.NewHBox(s.switchRole))
	}
	if acct.Role == wire.RoleFinance {
		auto := widget.NewCheck(tr.T("settings.auto"), func(on bool) {
			u.prefs.SetBool(prefAuto, on)
			u.setAutoReview(on)
		})
		auto.SetChecked(u.prefs.Bool(prefAuto))
		objs = append(objs, heading(tr.T("settings.review")), auto, wrapped(tr.T("settings.auto.about")))
	}
	s.pass.SetPlaceHolder(tr.T("settings.backup.pass"))
	s.pass2.SetPlaceHolder(tr.T("first.pass2.hint"))
	s.importPass.SetPlaceHolder(tr.T("first.backup.hint"))
	s.member.SetPlaceHolder(tr.T("settings.grant.hint"))
	objs = append(objs,
		heading(tr.T("settings.network")), s.network,
		container.NewHBox(widget.NewButton(tr.T("list.refresh"), s.refresh)),
		heading(tr.T("settings.keys")),
		container.NewBorder(nil, nil, nil, widget.NewButton(tr.T("settings.backup"), s.onBackup),
			container.NewGridWithColumns(2, s.pass, s.pass2)),
		container.NewBorder(nil, nil, nil, widget.NewButton(tr.T("settings.import"), s.onImport), s.importPass),
		container.NewBorder(nil, nil, nil, widget.NewButton(tr.T("settings.grant"), s.onGrant), s.member),
		s.note,
		widget.NewSeparator(),
		container.NewHBox(widget.NewButton(tr.T("connect.startover"), u.startOver)),
	)
	s.refresh()
	s.content = container.NewVScroll(container.NewPadded(container.NewVBox(objs...)))
	return s
}

// refresh shows the network and the light node as they are now.
func (s *settingsScreen) refresh() {
	tr := s.u.tr
	st := s.u.net.Status()
	state := tr.T("light." + string(st.State))
	s.network.SetText(tr.F("settings.network.text", s.u.net.ChainID(), st.Primary, strings.Join(st.Witnesses, ", "),
		state, st.Height, st.Validators, st.SignedPercent))
}

func (s *settingsScreen) onBackup() {
	tr := s.u.tr
	switch {
	case len(s.pass.Text) < minPassphrase:
		s.u.showError(&inputError{tr.F("first.pass.short", minPassphrase)})
		return
	case s.pass.Text != s.pass2.Text:
		s.u.showError(&inputError{tr.T("first.pass.mismatch")})
		return
	}
	id, pass := s.u.id, []byte(s.pass.Text)
	s.u.pickSave(id.Name()+".ebillkey", func(w fyne.URIWriteCloser) {
		go func() {
			err := errors.Join(wallet.Export(w, id, pass), w.Close())
			s.done(tr.F("settings.backup.done", w.URI().Path()), err)
		}()
	})
}

func (s *settingsScreen) onImport() {
	pass, store := []byte(s.importPass.Text), s.u.store
	s.u.pickOpen(nil, func(r fyne.URIReadCloser) {
		go func() {
			defer r.Close()
			id, err := wallet.Import(io.LimitReader(r, 1<<20), pass)
			if err == nil {
				err = store.Save(s.u.ctx, id)
			}
			name := ""
			if id != nil {
				name = id.Name()
			}
			s.done(s.u.tr.F("settings.import.done", name), err)
		}()
	})
}

// onGrant hands the org's key to a colleague, who can then read the org's bills.
func (s *settingsScreen) onGrant() {
	pub, err := hex.DecodeString(strings.TrimSpace(s.member.Text))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		s.u.showError(&inputError{s.u.tr.T("settings.grant.bad")})
		return
	}
	desk := s.u.desk
	s.u.act(s.u.tr.T("settings.grant.title"), func(ctx context.Context, p service.Progress) (*service.View, error) {
		return nil, desk.GrantOrgKey(ctx, pub, p)
	}, func(*service.View) { s.note.SetText(s.u.tr.T("settings.grant.done")) })
}

// done reports the outcome of key work from its goroutine.
func (s *settingsScreen) done(msg string, err error) {
	fyne.Do(func() {
		if err != nil {
			s.u.showError(err)
			return
		}
		s.note.SetText(msg)
	})
}
