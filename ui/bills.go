package ui

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/internal/files"
	"ebill/wallet"
)

// Ways to look a bill up, in the order of the search picker.
const (
	byNumber = iota // bill code and number, as printed
	bySerial        // business serial, as the HIS knows it
	byID            // ledger id
)

// billsScreen finds a bill and shows it: its verification, content and timeline, and what
// may be done with it next.
type billsScreen struct {
	u       *UI
	mode    *widget.Select
	first   *widget.Entry
	second  *widget.Entry
	reason  *widget.Entry // of a reversal
	issue   *widget.Button
	correct *widget.Button
	openPDF *widget.Button
	savePDF *widget.Button
	reverse *widget.Button
	detail  *fyne.Container
	note    *widget.Label
	current *service.View
	content fyne.CanvasObject
}

func newBillsScreen(u *UI) *billsScreen {
	tr := u.tr
	s := &billsScreen{u: u, first: widget.NewEntry(), second: widget.NewEntry(), reason: widget.NewEntry()}
	s.mode = widget.NewSelect([]string{tr.T("search.number"), tr.T("search.serial"), tr.T("search.id")},
		func(string) { s.modeChanged() })
	s.first.OnSubmitted = func(string) { s.onSearch() }
	s.second.OnSubmitted = func(string) { s.onSearch() }
	s.reason.SetPlaceHolder(tr.T("detail.reverse.reason"))
	s.mode.SetSelectedIndex(byNumber)
	s.issue = widget.NewButton(tr.T("detail.issue"), s.onIssue)
	s.issue.Importance = widget.HighImportance
	s.correct = widget.NewButton(tr.T("detail.correct"), s.onCorrect)
	s.openPDF = widget.NewButtonWithIcon(tr.T("detail.pdf.open"), theme.DocumentPrintIcon(), s.onOpenPDF)
	s.savePDF = widget.NewButtonWithIcon(tr.T("detail.pdf.save"), theme.DocumentSaveIcon(), s.onSavePDF)
	s.reverse = widget.NewButton(tr.T("detail.reverse"), s.onReverse)
	s.reverse.Importance = widget.DangerImportance
	search := widget.NewButtonWithIcon(tr.T("search.go"), theme.SearchIcon(), s.onSearch)
	s.note = wrapped("")
	s.detail = container.NewVBox(widget.NewLabel(tr.T("search.empty")))
	bar := container.NewBorder(nil, nil, s.mode, search, container.NewGridWithColumns(2, s.first, s.second))
	s.content = container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), s.note, nil, nil,
		container.NewVScroll(container.NewPadded(s.detail)))
	return s
}

func (s *billsScreen) modeChanged() {
	tr := s.u.tr
	s.second.Show()
	switch s.mode.SelectedIndex() {
	case byNumber:
		s.first.SetPlaceHolder(tr.T("search.code.hint"))
		s.second.SetPlaceHolder(tr.T("search.number.hint"))
	case bySerial:
		s.first.SetPlaceHolder(tr.T("search.serial.hint"))
		s.second.SetPlaceHolder(tr.T("search.org.hint"))
	default:
		s.first.SetPlaceHolder(tr.T("search.id.hint"))
		s.second.Hide()
	}
}

func (s *billsScreen) onSearch() {
	a, b := strings.TrimSpace(s.first.Text), strings.TrimSpace(s.second.Text)
	if a == "" {
		s.u.showError(&inputError{s.u.tr.T("search.need")})
		return
	}
	desk, mode := s.u.desk, s.mode.SelectedIndex()
	s.fetch(func(ctx context.Context) (*service.View, error) {
		switch mode {
		case byNumber:
			return desk.FetchNumber(ctx, a, b)
		case bySerial:
			if b == "" {
				b = desk.Account().Org
			}
			return desk.FetchSerial(ctx, b, a)
		}
		return desk.Fetch(ctx, a)
	})
}

// open shows the bill with this id.
func (s *billsScreen) open(id string) {
	desk := s.u.desk
	s.fetch(func(ctx context.Context) (*service.View, error) { return desk.Fetch(ctx, id) })
}

func (s *billsScreen) fetch(get func(context.Context) (*service.View, error)) {
	s.note.SetText(s.u.tr.T("search.fetching"))
	go func() {
		v, err := get(s.u.ctx)
		s.fetched(v, err)
	}()
}

func (s *billsScreen) fetched(v *service.View, err error) {
	fyne.Do(func() {
		s.note.SetText("")
		if err != nil {
			s.u.showError(err)
			return
		}
		s.show(v)
	})
}

// show puts a bill on the screen with the actions its status and the desk's role allow.
func (s *billsScreen) show(v *service.View) {
	acct := s.u.desk.Account()
	var actions []fyne.CanvasObject
	cashier := acct.Role == wire.RoleCashier && v.Record.Org == acct.Org
	switch st := v.Record.Status; {
	case cashier && st == wire.StatusApproved:
		actions = append(actions, s.issue)
	case cashier && st == wire.StatusRejected && v.Bill != nil && s.u.cashier != nil:
		actions = append(actions, s.correct)
	}
	if (v.Record.Status == wire.StatusIssued || v.Record.Status == wire.StatusReversed) && v.Bill != nil {
		actions = append(actions, s.openPDF, s.savePDF)
	}
	objs := []fyne.CanvasObject{s.u.billView(v), container.NewHBox(actions...)}
	if cashier && v.Record.Status == wire.StatusIssued && v.Record.RedOf == "" {
		s.reason.SetText("")
		objs = append(objs, container.NewBorder(nil, nil, nil, s.reverse, s.reason))
	}
	s.detail.Objects = objs
	s.detail.Refresh()
	s.current = v
}

func (s *billsScreen) onIssue() {
	s.u.move(s.u.tr.T("detail.issue.title"), s.current.ID, (*service.Desk).Issue, s.show)
}

func (s *billsScreen) onReverse() {
	s.u.moveWithReason(s.u.tr.T("detail.reverse.title"), s.current.ID, s.reason, "detail.reverse.need",
		(*service.Desk).Reverse, s.show)
}

// onCorrect puts a rejected bill back into the cashier's form, to correct and resubmit.
func (s *billsScreen) onCorrect() {
	b := s.current.Bill.Bill
	s.u.cashier.form.load(&b)
	s.u.cashier.tabs.SelectIndex(0)
	s.u.tabs.SelectIndex(0)
}

// pdfName is the file name a bill's PDF is saved under.
func pdfName(v *service.View) string {
	if v.Record.Number != "" {
		return v.Record.Code + "-" + v.Record.Number + ".pdf"
	}
	return v.ID + ".pdf"
}

// onOpenPDF renders the PDF into the desk's private directory and opens it in the system
// viewer, from where it is printed: Fyne has no print API.
func (s *billsScreen) onOpenPDF() {
	desk, v := s.u.desk, s.current
	s.note.SetText(s.u.tr.T("detail.pdf.rendering"))
	go func() {
		path, err := s.u.pdfs.Write(pdfName(v), func(w io.Writer) error {
			_, err := desk.Render(s.u.ctx, w, v.ID)
			return err
		})
		s.pdfDone("detail.pdf.opened", path, err, true)
	}()
}

// pdfDone reports PDF work from its goroutine: the error, or where the PDF is (message key)
// and, to print it, opens it in the system viewer.
func (s *billsScreen) pdfDone(key, path string, err error, open bool) {
	fyne.Do(func() {
		s.note.SetText("")
		if err == nil {
			s.note.SetText(s.u.tr.F(key, path))
			if open {
				err = s.u.app.OpenURL(&url.URL{Scheme: "file", Path: path})
			}
		}
		s.u.showError(err)
	})
}

// onSavePDF renders the PDF before it asks where to save it: Fyne's save dialog truncates
// the file it hands over as soon as the user picks it, so a render that failed after the
// pick would leave an earlier file empty. The PDF then replaces the file by a rename.
func (s *billsScreen) onSavePDF() {
	desk, v := s.u.desk, s.current
	s.note.SetText(s.u.tr.T("detail.pdf.rendering"))
	go func() {
		var pdf bytes.Buffer
		_, err := desk.Render(s.u.ctx, &pdf, v.ID)
		fyne.Do(func() {
			s.note.SetText("")
			if err != nil {
				s.u.showError(err)
				return
			}
			s.u.pickSave(pdfName(v), func(w fyne.URIWriteCloser) {
				path := w.URI().Path()
				go func() {
					err := errors.Join(w.Close(), files.Replace(path, 0o644, func(f io.Writer) error {
						_, err := pdf.WriteTo(f)
						return err
					}))
					s.pdfDone("detail.pdf.saved", path, err, false)
				}()
			})
		})
	}()
}

// billView shows a bill as the desk may see it: the verification badge, the record, the
// content when it could be decrypted, and the timeline. The finance review shows it too.
func (u *UI) billView(v *service.View) fyne.CanvasObject {
	tr := u.tr
	r := v.Record
	badge := widget.NewLabelWithStyle(tr.F("detail.verified", v.Verified.Height, v.Verified.SignedPercent),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	badge.Importance = widget.SuccessImportance
	kind := tr.T("kind." + string(r.Kind))
	if r.RedOf != "" {
		kind = tr.F("detail.red", kind)
	}
	fields := []string{
		"detail.status", tr.T("status." + r.Status.String()),
		"detail.kind", kind,
		"detail.code", r.Code,
		"detail.number", r.Number,
		"detail.check", r.CheckCode,
		"detail.serial", v.Serial(),
		"detail.total", tr.F("detail.total.value", r.Total.String(), r.Total.Capitals()),
		"detail.created", r.Created.Local().Format("2006-01-02 15:04:05"),
	}
	if !r.IssuedAt.IsZero() {
		fields = append(fields, "detail.issued", r.IssuedAt.Local().Format("2006-01-02 15:04:05"))
	}
	if v.Reason != "" {
		fields = append(fields, "detail.reason", v.Reason)
	}
	if b := v.Bill; b != nil {
		fields = append(fields,
			"detail.payer", b.Payer.Name+"  "+bill.MaskID(b.Payer.ID),
			"detail.payee", b.Payee.Name,
			"detail.department", b.Medical.Department,
			"detail.payment", tr.F("detail.payment.value", b.Payment.Fund.String(), b.Payment.Other.String(),
				b.Payment.Account.String(), b.Payment.Cash.String()),
			"detail.cashier", b.Cashier,
		)
	}
	// The ledger's record on the left, the decrypted content on the right.
	record, content := container.New(layout.NewFormLayout()), container.New(layout.NewFormLayout())
	form := record
	for i := 0; i < len(fields); i += 2 {
		if fields[i] == "detail.payer" {
			form = content
		}
		if fields[i+1] == "" {
			continue
		}
		value := widget.NewLabel(fields[i+1])
		value.Wrapping = fyne.TextWrapWord
		if fields[i] == "detail.reason" {
			value.Importance = widget.DangerImportance
		}
		form.Add(widget.NewLabelWithStyle(tr.T(fields[i]), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		form.Add(value)
	}
	objs := []fyne.CanvasObject{badge, container.NewGridWithColumns(2, record, content)}
	if v.Bill == nil {
		objs = append(objs, wrapped(tr.T("detail.sealed")))
	} else {
		objs = append(objs, heading(tr.T("detail.items")), table(tr, []string{"form.item.category", "form.item.name",
			"form.item.qty", "form.item.price", "form.item.amount"}, itemRows(tr, v.Bill.SortedItems())))
	}
	objs = append(objs, heading(tr.T("detail.timeline")), table(tr, []string{"timeline.height", "timeline.time",
		"timeline.event", "timeline.actor", "timeline.tx", "timeline.note"}, u.timelineRows(v.Timeline)))
	return container.NewVBox(objs...)
}

func itemRows(tr *localizer, items []bill.Item) [][]string {
	rows := make([][]string, len(items))
	for i, it := range items {
		rows[i] = []string{tr.T("cat." + string(it.Category)), it.Name, it.Quantity.String(), it.Price.String(), it.Amount.String()}
	}
	return rows
}

func (u *UI) timelineRows(events []wire.Event) [][]string {
	rows := make([][]string, len(events))
	for i, e := range events {
		rows[i] = []string{strconv.FormatInt(e.Height, 10), e.Time.Local().Format("2006-01-02 15:04:05"),
			u.tr.T("event." + e.Type.String()), u.actor(e.Actor), hex.EncodeToString(e.TxHash[:8]), e.Note}
	}
	return rows
}

// actor names who made a transition: the desk's own identity, or an address.
func (u *UI) actor(pub ed25519.PublicKey) string {
	if u.id != nil && pub.Equal(u.id.PublicKey()) {
		return u.tr.T("timeline.you")
	}
	if len(pub) != ed25519.PublicKeySize {
		return ""
	}
	return wallet.Address(pub)[:14] + "…"
}

// table is a grid of labels under bold headings.
func table(tr *localizer, heads []string, rows [][]string) fyne.CanvasObject {
	g := container.NewGridWithColumns(len(heads))
	for _, h := range heads {
		g.Add(widget.NewLabelWithStyle(tr.T(h), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	for _, r := range rows {
		for _, c := range r {
			l := widget.NewLabel(c)
			l.Truncation = fyne.TextTruncateEllipsis
			g.Add(l)
		}
	}
	return g
}
