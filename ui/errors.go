package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/wallet"
)

// explanations map the errors the desk can meet to the keys of what happened and what to do
// next. The first match wins, so specific causes come before the errors that wrap them.
var explanations = []struct {
	err  error
	what string
	next string
}{
	{service.ErrAttack, "err.attack", "err.attack.next"},
	{service.ErrTrustExpired, "err.expired", "err.expired.next"},
	{wallet.ErrKeyringUnavailable, "err.keyring", "err.keyring.next"},
	{wallet.ErrWrongPassphrase, "err.passphrase", "err.passphrase.next"},
	{wallet.ErrCorrupt, "err.corrupt", "err.corrupt.next"},
	{wallet.ErrFormat, "err.format", "err.format.next"},
	{wallet.ErrExists, "err.exists", "err.exists.next"},
	{wallet.ErrNotFound, "err.noidentity", "err.noidentity.next"},
	{bill.ErrSyntax, "err.syntax", "err.syntax.next"},
	{service.ErrEncoding, "err.encoding", "err.encoding.next"},
	{service.ErrConflict, "err.conflict", "err.conflict.next"},
	{service.ErrInvalid, "err.invalid", "err.invalid.next"},
	{service.ErrWrongRole, "err.role", "err.role.next"},
	{service.ErrNotReader, "err.reader", "err.reader.next"},
	{service.ErrNotFound, "err.notfound", "err.notfound.next"},
	{service.ErrVerification, "err.verification", "err.verification.next"},
	{service.ErrNetworkDown, "err.network", "err.network.next"},
	{service.ErrTimeout, "err.timeout", "err.timeout.next"},
	{service.ErrSegmentExhausted, "err.segment", "err.segment.next"},
	{service.ErrBadState, "err.state", "err.state.next"},
	{service.ErrRefused, "err.refused", "err.refused.next"},
	{context.DeadlineExceeded, "err.timeout", "err.timeout.next"},
}

// explain turns an error into what happened and what to do next, in the user's language.
// No error text of a lower layer reaches the user: it may be raw RPC output, and it is in
// English.
func (u *UI) explain(err error) (what, next string) {
	var in *inputError
	if errors.As(err, &in) {
		return in.msg, u.tr.T("err.input.next")
	}
	var unreg *unregisteredError
	if errors.As(err, &unreg) {
		return u.tr.T("err.unregistered"), u.tr.F("err.unregistered.next", unreg.address)
	}
	var syn *bill.SyntaxError
	if errors.As(err, &syn) {
		return u.tr.F("err.syntax.at", syn.Line, syn.Col), u.tr.T("err.syntax.next")
	}
	for _, e := range explanations {
		if errors.Is(err, e.err) {
			what, next = u.tr.T(e.what), u.tr.T(e.next)
			break
		}
	}
	if what == "" {
		what, next = u.tr.T("err.unknown"), u.tr.T("err.unknown.next")
	}
	var ps bill.Problems
	if errors.As(err, &ps) {
		what += "\n" + u.problemList(ps)
	}
	return what, next
}

// problemList is the bill's problems, one a line, in the user's language.
func (u *UI) problemList(ps bill.Problems) string {
	lines := make([]string, 0, len(ps))
	for _, p := range ps {
		lines = append(lines, "· "+u.tr.pick(p.ZH, p.EN))
	}
	return strings.Join(lines, "\n")
}

// showError is the one place errors become dialogs.
func (u *UI) showError(err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	what, next := u.explain(err)
	body := container.NewVBox(wrapped(what), wrapped(next))
	d := dialog.NewCustom(u.tr.T("err.title"), u.tr.T("ok"), body, u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// failed reports err from a goroutine.
func (u *UI) failed(err error) { fyne.Do(func() { u.showError(err) }) }

// reasonIn is the text of a required reason: when there is none, it says so (message key
// missing) and puts the cursor where it goes.
func (u *UI) reasonIn(e *widget.Entry, missing string) (string, bool) {
	r := strings.TrimSpace(e.Text)
	if r == "" {
		u.showError(&inputError{u.tr.T(missing)})
		u.win.Canvas().Focus(e)
	}
	return r, r != ""
}

// wrapped is a label that wraps at word boundaries.
func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}
