package ui

import (
	"context"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"ebill/app/service"
	"ebill/lightclient"
)

// statusEvery is how often the status bar asks the light node; it verifies a header about
// every second.
const statusEvery = time.Second

// statusBar is always at the bottom of the work screens: chain height, the light node's state
// and who the desk acts as.
type statusBar struct {
	u        *UI
	height   *widget.Label
	state    *canvas.Text
	identity *widget.Label
	content  fyne.CanvasObject
	last     lightclient.Status
	warned   bool // the attack dialog was shown
}

func newStatusBar(u *UI) *statusBar {
	s := &statusBar{u: u, height: widget.NewLabel(""), identity: widget.NewLabel("")}
	s.state = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	s.state.TextStyle.Bold = true
	s.content = container.NewHBox(s.height, container.NewCenter(s.state), widget.NewSeparator(), s.identity)
	return s
}

// watch refreshes the bar until ctx ends; it runs on its own goroutine.
func (s *statusBar) watch(ctx context.Context, net *service.Network) {
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	for {
		s.update(net.Status())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// update shows st from any goroutine.
func (s *statusBar) update(st lightclient.Status) { fyne.Do(func() { s.show(st) }) }

func (s *statusBar) show(st lightclient.Status) {
	s.last = st
	tr := s.u.tr
	s.height.SetText(tr.F("status.height", st.Height))
	var c color.Color = theme.Color(theme.ColorNameSuccess)
	switch st.State {
	case lightclient.StateVerified:
		s.state.Text = tr.F("status.verified", st.SignedPercent)
	case lightclient.StateAttack:
		s.state.Text, c = tr.T("status.attack"), theme.Color(theme.ColorNameError)
	case lightclient.StateExpired:
		s.state.Text, c = tr.T("status.expired"), theme.Color(theme.ColorNameError)
	default:
		s.state.Text, c = tr.T("status.syncing"), theme.Color(theme.ColorNameWarning)
	}
	s.state.Color = c
	s.state.Refresh()
	if st.State == lightclient.StateAttack && !s.warned {
		s.warned = true
		s.u.showError(service.ErrAttack)
	}
}

// relabel redraws the bar in the current language for the current identity.
func (s *statusBar) relabel() {
	a := s.u.desk.Account()
	s.identity.SetText(s.u.tr.F("status.identity", a.Name, s.u.tr.T("role."+a.Role.String()), a.OrgName))
	s.show(s.last)
}
