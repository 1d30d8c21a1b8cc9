package ui

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"

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
	refresh *widget.Button
	bulk    *widget.Button
	current *service.Review

	cursors []uint64 // the cursor of each page shown so far; the last is the current page's
	before  []int    // how many bills the pages before each of those pages held
	after   uint64   // the cursor of the page after the current one, 0 at the end
	asked   int      // counts the pages asked for: only the answer to the last one is shown
	content fyne.CanvasObject
}

func newFinanceScreen(u *UI) *financeScreen {
	tr := u.tr
	f := &financeScreen{u: u, cursors: []uint64{0}, before: []int{0}, reason: widget.NewEntry()}
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
	f.bulk = widget.NewButton(tr.T("finance.bulk"), f.onBulk)
	f.bulk.Importance = widget.HighImportance
	f.refresh = widget.NewButton(tr.T("list.refresh"), f.load)
	top := container.NewHBox(f.refresh, f.bulk)
	left := container.NewBorder(top, container.NewVBox(container.NewHBox(f.prev, f.page, f.next), f.note),
		nil, nil, f.queue.content)
	split := container.NewHSplit(left, container.NewVScroll(container.NewPadded(f.review)))
	split.Offset = 0.45
	f.content = split
	return f
}

// load shows the current page of the queue again. Paging waits for the page: a second
// Next before the first one's page arrived would ask for the same cursor again and show
// that page twice under two numbers.
func (f *financeScreen) load() {
	f.asked++
	asked, cursor, desk := f.asked, f.cursors[len(f.cursors)-1], f.u.desk
	enable(f.prev, false)
	enable(f.next, false)
	go func() {
		p, err := desk.Queue(f.u.ctx, cursor, pageSize)
		f.loaded(asked, p, err)
	}()
}

func (f *financeScreen) loaded(asked int, p service.Page, err error) {
	fyne.Do(func() {
		if asked != f.asked { // a later page (or a refresh) is on its way
			return
		}
		if err != nil {
			enable(f.prev, len(f.cursors) > 1)
			f.u.showError(err)
			return
		}
		n := len(f.cursors)
		if len(p.Bills) == 0 && p.Next == 0 && n > 1 {
			// The ledger cannot tell that a full page was the last one until the next is
			// asked for: stay on the last one, now known to be the last.
			f.cursors, f.before, f.after = f.cursors[:n-1], f.before[:n-1], 0
			enable(f.prev, n-1 > 1)
			return
		}
		f.queue.set(p.Bills)
		f.after = p.Next
		// Pages may be short (bills decided while listed are left out), so bills are
		// numbered by what the pages before held, not by page size.
		b := f.before[n-1]
		f.page.SetText(f.u.tr.F("finance.page", n, b+min(1, len(p.Bills)), b+len(p.Bills)))
		enable(f.prev, n > 1)
		enable(f.next, p.Next != 0)
	})
}

func (f *financeScreen) onNext() {
	f.cursors = append(f.cursors, f.after)
	f.before = append(f.before, f.before[len(f.before)-1]+len(f.queue.views))
	f.load()
}

func (f *financeScreen) onPrev() {
	n := max(len(f.cursors)-1, 1)
	f.cursors, f.before = f.cursors[:n], f.before[:n]
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
		l := wrapped(f.checkLine(c))
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

// checkLine is one automatic rule's outcome, with the reason when it failed.
func (f *financeScreen) checkLine(c service.Check) string {
	tr := f.u.tr
	if c.OK {
		return "✓ " + tr.T("check."+c.Rule)
	}
	return "✗ " + tr.T("check."+c.Rule) + ": " + tr.pick(c.ZH, c.EN)
}

func (f *financeScreen) onApprove() {
	f.u.move(f.u.tr.T("finance.approve.title"), f.current.ID, (*service.Desk).Approve, f.decided)
}

func (f *financeScreen) onReject() {
	f.u.moveWithReason(f.u.tr.T("finance.reject.title"), f.current.ID, f.reason, "finance.reason.need",
		(*service.Desk).Reject, f.decided)
}

func (f *financeScreen) decided(v *service.View) {
	f.current = nil
	f.review.Objects = []fyne.CanvasObject{widget.NewLabel(f.u.tr.F("finance.decided", v.Serial(),
		f.u.tr.T("status."+v.Record.Status.String())))}
	f.review.Refresh()
	f.load()
}

// onBulk approves every queued bill that passes every rule and leaves the others. The
// service works through the whole queue off the UI goroutine; the dialog counts the bills.
func (f *financeScreen) onBulk() {
	desk := f.u.desk
	p := &bulkProgress{progressDialog: f.u.newProgress(f.u.tr.T("finance.bulk.title")), sending: map[string]bool{}}
	p.bar.TextFormatter = func() string { return fmt.Sprintf("%.0f / %.0f", p.bar.Value, p.bar.Max) }
	go func() {
		rep, err := desk.AutoReview(f.u.ctx, p)
		f.bulkDone(p.progressDialog, rep, err)
	}()
}

func (f *financeScreen) bulkDone(p *progressDialog, rep service.AutoReport, err error) {
	fyne.Do(func() {
		p.d.Hide()
		f.reported(rep)
		if err != nil {
			f.u.showError(err)
		}
		// What is left has moved up the queue: the page shown may now be past its end.
		f.cursors, f.before = f.cursors[:1], f.before[:1]
		f.load()
	})
}

// reported shows what an automatic review did: the counts in the note, and beside the queue
// every bill it held with the rules it failed and every bill it could not review with why.
func (f *financeScreen) reported(rep service.AutoReport) {
	f.tell(f.u.autoText(rep))
	f.showHeld(rep.Held, rep.Failed)
}

// autoText sums up an automatic review in one line.
func (u *UI) autoText(rep service.AutoReport) string {
	s := u.tr.F("finance.auto.done", rep.Approved, len(rep.Held))
	if len(rep.Failed) > 0 {
		s += " " + u.tr.F("finance.auto.failed", len(rep.Failed))
	}
	if len(rep.Gone) > 0 {
		s += " " + u.tr.F("finance.auto.gone", len(rep.Gone))
	}
	return s
}

// showHeld lists the bills a bulk approval left for the clerk, each with the rules it
// failed, so the clerk sees why without opening them one by one, and after them the bills
// it could not review, each with what went wrong.
func (f *financeScreen) showHeld(held []*service.Review, failed []error) {
	f.current = nil
	objs := []fyne.CanvasObject{widget.NewLabel(f.u.tr.T("finance.pick"))}
	if len(held)+len(failed) > 0 {
		objs = nil
	}
	if len(held) > 0 {
		objs = append(objs, heading(f.u.tr.T("finance.fail")))
	}
	for _, r := range slices.SortedFunc(slices.Values(held), func(a, b *service.Review) int {
		return cmp.Compare(a.Serial(), b.Serial())
	}) {
		objs = append(objs, widget.NewLabelWithStyle(r.Serial(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		for _, c := range r.Checks {
			if !c.OK {
				l := wrapped(f.checkLine(c))
				l.Importance = widget.DangerImportance
				objs = append(objs, l)
			}
		}
	}
	if len(failed) > 0 {
		objs = append(objs, heading(f.u.tr.T("finance.failed")))
	}
	for _, err := range failed {
		id := "?"
		if be, ok := errors.AsType[*service.BillError](err); ok {
			id = be.ID
		}
		what, _ := f.u.explain(err)
		l := wrapped(id + ": " + what)
		l.Importance = widget.DangerImportance
		objs = append(objs, l)
	}
	f.review.Objects = objs
	f.review.Refresh()
}

// bulkProgress is the progress of a bulk approval: how many of the bills sent for approval
// so far are verified. The service reports from many goroutines at once; mu keeps each
// count and its display in step (fyne.Do runs functions in the order it was called), so the
// count shown never goes back.
type bulkProgress struct {
	*progressDialog
	mu       sync.Mutex
	sending  map[string]bool // a retry is sent again under the same detail
	verified int
}

// Step is called by the service, from any goroutine.
func (b *bulkProgress) Step(stage service.Stage, detail string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch stage {
	case service.StageSending:
		b.sending[detail] = true
	case service.StageVerified:
		b.verified++
	}
	done, of := b.verified, len(b.sending)
	fyne.Do(func() { b.count(stage, done, of) })
}

func enable(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}
