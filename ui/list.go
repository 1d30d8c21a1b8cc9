package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"ebill/app/service"
)

// pageSize is how many bills a list fetches at a time: each one is read again with a proof.
const pageSize = 50

// billList is a page of bills, as the cashier's own bills and the bureau's queue show them.
type billList struct {
	u        *UI
	views    []*service.View
	list     *widget.List
	onSelect func(*service.View)
	content  fyne.CanvasObject
}

// listColumns are the keys of the column headings.
var listColumns = []string{"list.serial", "list.total", "list.status", "list.number", "list.created"}

func newBillList(u *UI, onSelect func(*service.View)) *billList {
	l := &billList{u: u, onSelect: onSelect}
	l.list = widget.NewList(
		func() int { return len(l.views) },
		func() fyne.CanvasObject {
			cells := make([]fyne.CanvasObject, len(listColumns))
			for i := range cells {
				l := widget.NewLabel("")
				l.Truncation = fyne.TextTruncateEllipsis
				cells[i] = l
			}
			return container.NewGridWithColumns(len(cells), cells...)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			for c, text := range l.row(l.views[i]) {
				o.(*fyne.Container).Objects[c].(*widget.Label).SetText(text)
			}
		})
	l.list.OnSelected = func(i widget.ListItemID) { l.onSelect(l.views[i]) }
	head := make([]fyne.CanvasObject, len(listColumns))
	for i, k := range listColumns {
		head[i] = widget.NewLabelWithStyle(u.tr.T(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	l.content = container.NewBorder(container.NewGridWithColumns(len(head), head...), nil, nil, nil, l.list)
	return l
}

func (l *billList) row(v *service.View) []string {
	r := v.Record
	return []string{v.Serial(), r.Total.String(), l.u.tr.T("status." + r.Status.String()), r.Number,
		r.Created.Local().Format("2006-01-02 15:04")}
}

// set shows a page of bills, replacing what was shown.
func (l *billList) set(views []*service.View) {
	l.views = views
	l.list.UnselectAll()
	l.list.Refresh()
}

// add appends the next page.
func (l *billList) add(views []*service.View) {
	l.views = append(l.views, views...)
	l.list.Refresh()
}
