package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"ebill/app/service"
)

// financeScreen is the bureau clerk's review queue: a page of bills awaiting review, the
// selected one decrypted with the outcome of every automatic rule, approve or reject with a
// reason, and approval of every bill that passes every rule at once.
type financeScreen struct {
	u       *UI
	queue   *billList
	page    *widget.Label
	prev    *widget.Button
	next    *widget.Button
	note    *widget.Label
	review  *fyne.Container
	reason  *widget.Entry
	approve *widget.Button
	reject  *widget.Button
	current *service.Review

	cursors []uint64 // the cursor of each page shown so far; the last is the current page's
	after   uint64   // the cursor of the page after the current one, 0 at the end
	content fyne.CanvasObject
}

func newFinanceScreen(u *UI) *financeScreen {
	tr := u.tr
	f := &financeScreen{u: u, cursors: []uint64{0}, reason: widget.NewEntry()}
	f.queue = newBillList(u, f.onSelect)
	f.page = widget.NewLabel("")
	f.prev = widget.NewButton(tr.T("finance.prev"), f.onPrev)
	f.next = widget.NewButton(tr.T("finance.next"), f.onNext)
	f.note = wrapped("")
	f.reason.SetPlaceHolder(tr.T("finance.reason"))
	f.review = container.NewVBox(widget.NewLabel(tr.T("finance.pick")))
	f.approve = widget.NewButton(tr.T("finance.approve"), f.onApprove)
	f.approve.Importance = widget.HighImportance
	f.reject = widget.NewButton(tr.T("finance.reject"), f.onReject)
	f.reject.Importance = widget.DangerImportance
	bulk := widget.NewButton(tr.T("finance.bulk"), f.onBulk)
	bulk.Importance = widget.HighImportance
	top := container.NewHBox(widget.NewButton(tr.T("list.refresh"), f.load), bulk)
	left := container.NewBorder(top, container.NewVBox(container.NewHBox(f.prev, f.page, f.next), f.note),
		nil, nil, f.queue.content)
	split := container.NewHSplit(left, container.NewVScroll(container.NewPadded(f.review)))
	split.Offset = 0.45
	f.content = split
	return f
}

// load shows the current page of the queue again.
func (f *financeScreen) load() {
	cursor, desk := f.cursors[len(f.cursors)-1], f.u.desk
	go func() {
		p, err := desk.Queue(f.u.ctx, cursor, pageSize)
		f.loaded(p, err)
	}()
}

func (f *financeScreen) loaded(p service.Page, err error) {
	fyne.Do(func() {
		if err != nil {
			f.u.showError(err)
			return
		}
		f.queue.set(p.Bills)
		f.after = p.Next
		n := len(f.cursors)
		f.page.SetText(f.u.tr.F("finance.page", n, (n-1)*pageSize+min(1, len(p.Bills)), (n-1)*pageSize+len(p.Bills)))
		enable(f.prev, n > 1)
		enable(f.next, p.Next != 0)
	})
}

func (f *financeScreen) onNext() {
	f.cursors = append(f.cursors, f.after)
	f.load()
}

func (f *financeScreen) onPrev() {
	f.cursors = f.cursors[:max(len(f.cursors)-1, 1)]
	f.load()
}

// note says what the automatic reviewer or a bulk approval did.
func (f *financeScreen) tell(s string) { f.note.SetText(s) }

func (f *financeScreen) onSelect(v *service.View) {
	desk := f.u.desk
	f.review.Objects = []fyne.CanvasObject{widget.NewLabel(f.u.tr.T("finance.reviewing"))}
	f.review.Refresh()
	go func() {
		r, err := desk.Review(f.u.ctx, v.ID)
		f.reviewed(r, err)
	}()
}

func (f *financeScreen) reviewed(r *service.Review, err error) {
	fyne.Do(func() {
		if err != nil {
			f.review.Objects = nil
			f.review.Refresh()
			f.u.showError(err)
			return
		}
		f.show(r)
	})
}

// show puts a decrypted bill with its checks beside the queue.
func (f *financeScreen) show(r *service.Review) {
	tr := f.u.tr
	checks := container.NewVBox(heading(tr.T("finance.checks")))
	for _, c := range r.Checks {
		mark := "✓ "
		text := tr.T("check." + c.Rule)
		if !c.OK {
			mark = "✗ "
			text += ": " + tr.pick(c.ZH, c.EN)
		}
		l := wrapped(mark + text)
		l.Importance = widget.SuccessImportance
		if !c.OK {
			l.Importance = widget.DangerImportance
		}
		checks.Add(l)
	}
	verdict := tr.T("finance.pass")
	if !r.Passed() {
		verdict = tr.T("finance.fail")
	}
	f.reason.SetText("")
	f.review.Objects = []fyne.CanvasObject{checks, heading(verdict),
		container.NewBorder(nil, nil, nil, container.NewHBox(f.approve, f.reject), f.reason),
		widget.NewSeparator(), f.u.billView(r.View)}
	f.review.Refresh()
	f.current = r
}

func (f *financeScreen) onApprove() {
	desk, id := f.u.desk, f.current.ID
	f.u.act(f.u.tr.T("finance.approve.title"), func(ctx context.Context, p service.Progress) (*service.View, error) {
		return desk.Approve(ctx, id, p)
	}, f.decided)
}

func (f *financeScreen) onReject() {
	reason, ok := f.u.reasonIn(f.reason, "finance.reason.need")
	if !ok {
		return
	}
	desk, id := f.u.desk, f.current.ID
	f.u.act(f.u.tr.T("finance.reject.title"), func(ctx context.Context, p service.Progress) (*service.View, error) {
		return desk.Reject(ctx, id, reason, p)
	}, f.decided)
}

func (f *financeScreen) decided(v *service.View) {
	f.current = nil
	f.review.Objects = []fyne.CanvasObject{widget.NewLabel(f.u.tr.F("finance.decided", v.Record.Serial,
		f.u.tr.T("status."+v.Record.Status.String())))}
	f.review.Refresh()
	f.load()
}

// onBulk approves every queued bill that passes every rule and leaves the others.
func (f *financeScreen) onBulk() {
	desk := f.u.desk
	p := f.u.newProgress(f.u.tr.T("finance.bulk.title"))
	go func() {
		rep, err := desk.AutoReview(f.u.ctx, p)
		f.bulkDone(p, rep, err)
	}()
}

func (f *financeScreen) bulkDone(p *progressDialog, rep service.AutoReport, err error) {
	fyne.Do(func() {
		p.d.Hide()
		if err != nil {
			f.u.showError(err)
			return
		}
		f.note.SetText(f.u.tr.F("finance.auto.done", rep.Approved, len(rep.Held)))
		if len(rep.Failed) > 0 {
			f.u.showError(rep.Failed[0])
		}
		f.load()
	})
}

func enable(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}
