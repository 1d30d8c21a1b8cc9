package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/ui/hisdrop"
)

// hisPoll is how often a watched HIS folder is looked at.
const hisPoll = 2 * time.Second

// statusFilters are the choices of the my-bills filter; 0 is every status.
var statusFilters = []wire.Status{0, wire.StatusSubmitted, wire.StatusApproved, wire.StatusRejected,
	wire.StatusIssued, wire.StatusReversed, wire.StatusWithdrawn}

// cashierScreen is the hospital cashier's window: the new-bill form and the bills of the org.
type cashierScreen struct {
	u         *UI
	form      *billForm
	mine      *billList
	filter    *widget.Select
	more      *widget.Button
	watchNote *widget.Label
	tabs      *container.AppTabs
	next      uint64
	content   fyne.CanvasObject
}

func newCashierScreen(u *UI) *cashierScreen {
	tr := u.tr
	c := &cashierScreen{u: u}
	c.form = newBillForm(u, u.desk.Account(), func(*service.View) { c.load() })
	c.mine = newBillList(u, func(v *service.View) { u.showBill(v.ID) })
	names := make([]string, len(statusFilters))
	names[0] = tr.T("list.all")
	for i, s := range statusFilters[1:] {
		names[i+1] = tr.T("status." + s.String())
	}
	c.filter = widget.NewSelect(names, nil)
	c.filter.SetSelectedIndex(0)
	c.filter.OnChanged = func(string) { c.load() }
	c.more = widget.NewButton(tr.T("list.more"), c.onMore)
	c.more.Hide()
	refresh := widget.NewButton(tr.T("list.refresh"), c.load)
	open := widget.NewButton(tr.T("cashier.open"), c.onOpen)
	watch := widget.NewButton(tr.T("cashier.watch"), c.onWatch)
	c.watchNote = widget.NewLabel(u.watchText())
	bar := container.NewHBox(open, watch, c.watchNote)
	newBill := container.NewBorder(bar, nil, nil, nil, container.NewVScroll(container.NewPadded(c.form.content)))
	mine := container.NewBorder(container.NewHBox(widget.NewLabel(tr.T("list.filter")), c.filter, refresh),
		container.NewHBox(c.more), nil, nil, c.mine.content)
	c.tabs = container.NewAppTabs(container.NewTabItem(tr.T("cashier.new"), newBill),
		container.NewTabItem(tr.T("cashier.mine"), mine))
	c.content = c.tabs
	return c
}

// load fetches the first page of the org's bills with the chosen status.
func (c *cashierScreen) load() {
	status := statusFilters[max(c.filter.SelectedIndex(), 0)]
	desk := c.u.desk
	go func() {
		p, err := desk.Bills(c.u.ctx, "", status, 0, pageSize)
		c.loaded(p, err, false)
	}()
}

func (c *cashierScreen) onMore() {
	status, next, desk := statusFilters[max(c.filter.SelectedIndex(), 0)], c.next, c.u.desk
	go func() {
		p, err := desk.Bills(c.u.ctx, "", status, next, pageSize)
		c.loaded(p, err, true)
	}()
}

func (c *cashierScreen) loaded(p service.Page, err error, more bool) {
	fyne.Do(func() {
		if err != nil {
			c.u.showError(err)
			return
		}
		if more {
			c.mine.add(p.Bills)
		} else {
			c.mine.set(p.Bills)
		}
		c.next = p.Next
		if p.Next != 0 {
			c.more.Show()
		} else {
			c.more.Hide()
		}
	})
}

// onOpen reads a HIS JSON file into the form, for the cashier to check and submit.
func (c *cashierScreen) onOpen() {
	c.u.pickOpen([]string{".json"}, func(r fyne.URIReadCloser) {
		defer r.Close()
		if c.form.open(r) {
			c.tabs.SelectIndex(0)
		}
	})
}

func (c *cashierScreen) onWatch() { c.u.pickFolder(c.u.watch) }

// hisWatch is one watch of a HIS export folder and what became of its files so far.
type hisWatch struct {
	dir          string
	stop         context.CancelFunc
	done, failed int
	gbk          int             // files read as GBK
	waiting      map[string]bool // files left in the folder after a fault, to be tried again
	fault        error           // the latest such fault
}

// watch submits every bill the HIS exports to dir, until another folder is chosen or the desk
// closes. The watcher belongs to the UI, not the screen, so a rebuilt screen keeps it.
func (u *UI) watch(dir string) {
	if u.watching != nil {
		u.watching.stop()
	}
	ctx, stop := context.WithCancel(u.ctx)
	w := &hisWatch{dir: dir, stop: stop, waiting: map[string]bool{}}
	u.watching = w
	u.watchChanged()
	desk := u.desk
	submit := func(ctx context.Context, b *bill.Bill) (string, error) {
		v, err := desk.Submit(ctx, b, nil)
		if err != nil {
			return "", err
		}
		return v.ID, nil
	}
	go hisdrop.Watch(ctx, dir, hisPoll, submit, func(r hisdrop.Result) { u.watched(w, r) })
}

// watched counts a file of the watched folder, from the watcher's goroutine. A stopped
// watch's last results are dropped: they are not the new folder's.
func (u *UI) watched(w *hisWatch, r hisdrop.Result) {
	fyne.Do(func() {
		if u.watching != w {
			return
		}
		delete(w.waiting, r.File)
		switch r.Outcome {
		case hisdrop.Done:
			w.done++
		case hisdrop.Failed:
			w.failed++
		case hisdrop.Waiting:
			w.waiting[r.File], w.fault = true, r.Err
		}
		if r.Encoding == service.GBK && r.Outcome != hisdrop.Waiting {
			w.gbk++
		}
		u.watchChanged()
		if u.cashier != nil && r.Outcome == hisdrop.Done {
			u.cashier.load()
		}
	})
}

func (u *UI) watchChanged() {
	if u.cashier != nil {
		u.cashier.watchNote.SetText(u.watchText())
	}
}

func (u *UI) watchText() string {
	w := u.watching
	if w == nil {
		return ""
	}
	s := u.tr.F("cashier.watching", w.dir, w.done, w.failed)
	if len(w.waiting) > 0 {
		what, _ := u.explain(w.fault)
		s += " " + u.tr.F("cashier.watching.wait", len(w.waiting), what)
	}
	if w.gbk > 0 {
		s += " " + u.tr.F("cashier.watching.gbk", w.gbk)
	}
	return s
}
