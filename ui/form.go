package ui

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/service"
)

// submitShortcuts submit the new bill from anywhere in the form.
var submitShortcuts = []fyne.Shortcut{
	&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault},
	&desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault},
}

// formEntry is an entry that hands the submit shortcuts to the form: a focused entry receives
// every shortcut itself, so the window's shortcuts never see them.
type formEntry struct {
	widget.Entry
	submit func()
}

func newFormEntry(submit func()) *formEntry {
	e := &formEntry{submit: submit}
	e.ExtendBaseWidget(e)
	return e
}

func (e *formEntry) TypedShortcut(s fyne.Shortcut) {
	for _, k := range submitShortcuts {
		if s.ShortcutName() == k.ShortcutName() {
			e.submit()
			return
		}
	}
	e.Entry.TypedShortcut(s)
}

// Choices of the form's pickers, in the order of their options.
var (
	kinds      = []bill.Kind{bill.Outpatient, bill.Inpatient}
	payerTypes = []bill.PayerType{bill.PayerPerson, bill.PayerUnit}
	sexes      = []string{"", "男", "女", "未知"}
	sexKeys    = []string{"sex.none", "sex.male", "sex.female", "sex.unknown"}
)

// billForm is the new-bill form, laid out for a busy window: keyboard only, Enter adds an item
// row, Ctrl+S or Ctrl+Enter submits, totals and capitals follow every keystroke, and each
// problem of bill.Validate shows next to its field.
type billForm struct {
	u    *UI
	acct service.Account
	base *bill.Bill // what the form does not show (fields from a HIS file) is kept from here

	kind, payerType, sex                               *widget.Select
	code, serial, payerName, payerID                   *formEntry
	patientNo, department, visit, admission, discharge *formEntry
	insuranceType, insuranceNo                         *formEntry
	fund, other, account, selfPay, selfFunded, remark  *formEntry
	visitCell, admissionCell, dischargeCell            fyne.CanvasObject
	rows                                               []*itemRow
	items                                              *fyne.Container
	cash, total, capitals, note                        *widget.Label
	errs                                               map[string]*widget.Label // field path → its problems
	focus                                              map[string]fyne.Focusable
	rest                                               *widget.Label // problems of fields the form does not show
	tried                                              bool          // after a first submit, problems follow the typing
	onSubmitted                                        func(*service.View)
	content                                            fyne.CanvasObject
}

// itemRow is one line of the item table; extra keeps what the row does not show.
type itemRow struct {
	extra            bill.Item
	category         *widget.Select
	name, qty, price *formEntry
	amount, err      *widget.Label
	box              fyne.CanvasObject
}

func newBillForm(u *UI, acct service.Account, submitted func(*service.View)) *billForm {
	f := &billForm{u: u, acct: acct, onSubmitted: submitted,
		errs: map[string]*widget.Label{}, focus: map[string]fyne.Focusable{}}
	tr := u.tr
	entry := func(path, hint string) *formEntry {
		e := newFormEntry(f.onSubmit)
		e.SetPlaceHolder(hint)
		e.OnChanged = func(string) { f.recalc() }
		f.focus[path] = e
		return e
	}
	f.kind = widget.NewSelect(translated(tr, "kind.", kinds), func(string) { f.kindChanged() })
	f.payerType = widget.NewSelect(translated(tr, "payer.", payerTypes), nil)
	f.sex = widget.NewSelect(translated(tr, "", sexKeys), nil)
	f.focus["kind"], f.focus["payer.type"], f.focus["medical.sex"] = f.kind, f.payerType, f.sex
	f.code = entry("code", "32060126")
	f.serial = entry("serial", "")
	f.payerName = entry("payer.name", "")
	f.payerID = entry("payer.id", tr.T("form.payer.id.hint"))
	f.patientNo = entry("medical.patient_no", "")
	f.department = entry("medical.department", "")
	f.visit = entry("medical.visit_date", "2026-11-23")
	f.admission = entry("medical.admission_date", "2026-11-16")
	f.discharge = entry("medical.discharge_date", "2026-11-23")
	f.insuranceType = entry("medical.insurance_type", "")
	f.insuranceNo = entry("medical.insurance_no", "")
	f.fund = entry("payment.fund", "0.00")
	f.other = entry("payment.other", "0.00")
	f.account = entry("payment.account", "0.00")
	f.selfPay = entry("payment.self_pay", "0.00")
	f.selfFunded = entry("payment.self_funded", "0.00")
	f.remark = entry("remark", "")
	f.cash, f.total, f.capitals = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	f.total.TextStyle.Bold = true
	f.note = wrapped("")
	f.note.Importance = widget.SuccessImportance
	f.rest = f.problemLabel("")
	f.items = container.NewVBox()

	cell := func(path, caption string, w fyne.CanvasObject) fyne.CanvasObject {
		return container.NewVBox(widget.NewLabel(caption), w, f.problemLabel(path))
	}
	grid := func(cells ...fyne.CanvasObject) *fyne.Container { return container.NewGridWithColumns(4, cells...) }
	f.visitCell = cell("medical.visit_date", tr.T("form.visit"), f.visit)
	f.admissionCell = cell("medical.admission_date", tr.T("form.admission"), f.admission)
	f.dischargeCell = cell("medical.discharge_date", tr.T("form.discharge"), f.discharge)

	add := widget.NewButton(tr.T("form.item.add"), func() { f.addRow(bill.Item{Quantity: 1000}, true) })
	submit := widget.NewButton(tr.T("form.submit"), f.onSubmit)
	submit.Importance = widget.HighImportance
	header := container.NewGridWithColumns(5, widget.NewLabel(tr.T("form.item.category")),
		widget.NewLabel(tr.T("form.item.name")), widget.NewLabel(tr.T("form.item.qty")),
		widget.NewLabel(tr.T("form.item.price")), widget.NewLabel(tr.T("form.item.amount")))
	f.content = container.NewVBox(
		heading(tr.T("form.section.bill")),
		grid(cell("kind", tr.T("form.kind"), f.kind), cell("code", tr.T("form.code"), f.code),
			cell("serial", tr.T("form.serial"), f.serial), cell("remark", tr.T("form.remark"), f.remark)),
		heading(tr.T("form.section.payer")),
		grid(cell("payer.name", tr.T("form.payer.name"), f.payerName),
			cell("payer.type", tr.T("form.payer.type"), f.payerType),
			cell("payer.id", tr.T("form.payer.id"), f.payerID),
			cell("medical.sex", tr.T("form.sex"), f.sex)),
		heading(tr.T("form.section.medical")),
		grid(cell("medical.patient_no", tr.T("form.patient_no"), f.patientNo),
			cell("medical.department", tr.T("form.department"), f.department),
			f.visitCell, f.admissionCell, f.dischargeCell,
			cell("medical.insurance_type", tr.T("form.insurance_type"), f.insuranceType),
			cell("medical.insurance_no", tr.T("form.insurance_no"), f.insuranceNo)),
		heading(tr.T("form.section.items")),
		header, f.items, f.problemLabel("items"), container.NewHBox(add, widget.NewLabel(tr.T("form.item.enter"))),
		heading(tr.T("form.section.payment")),
		grid(cell("payment.fund", tr.T("form.fund"), f.fund), cell("payment.other", tr.T("form.other"), f.other),
			cell("payment.account", tr.T("form.account"), f.account), cell("payment.cash", tr.T("form.cash"), f.cash),
			cell("payment.self_pay", tr.T("form.self_pay"), f.selfPay),
			cell("payment.self_funded", tr.T("form.self_funded"), f.selfFunded)),
		f.problemLabel("payment"),
		widget.NewSeparator(),
		container.NewHBox(widget.NewLabel(tr.T("form.total")), f.total, f.capitals),
		f.problemLabel("total"),
		f.rest,
		container.NewHBox(submit, widget.NewLabel(tr.T("form.submit.keys"))),
		f.note,
	)
	f.reset()
	return f
}

// translated is the translated option text of each value, for a picker.
func translated[T ~string](tr *localizer, prefix string, values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = tr.T(prefix + string(v))
	}
	return out
}

// problemLabel is the red line under a field where its problems appear.
func (f *billForm) problemLabel(path string) *widget.Label {
	l := wrapped("")
	l.Importance = widget.DangerImportance
	l.Hide()
	if path != "" {
		f.errs[path] = l
	}
	return l
}

// reset makes the form ready for the next patient.
func (f *billForm) reset() {
	now := f.u.now()
	f.base = &bill.Bill{}
	f.tried = false
	f.kind.SetSelectedIndex(0)
	code := f.u.prefs.String(prefCode)
	if code == "" && f.u.prefs.String(prefNetwork) == networkDemo {
		code = node.DemoBillCode
	}
	f.code.SetText(code)
	f.serial.SetText("W" + strings.ReplaceAll(now.Format("20060102150405.000"), ".", ""))
	f.payerType.SetSelectedIndex(0)
	f.sex.SetSelectedIndex(0)
	for _, e := range []*formEntry{f.payerName, f.payerID, f.patientNo, f.department, f.admission,
		f.discharge, f.insuranceType, f.insuranceNo, f.fund, f.other, f.account, f.selfPay, f.selfFunded, f.remark} {
		e.SetText("")
	}
	f.visit.SetText(bill.DateOf(now).String())
	f.rows = nil
	f.addRow(bill.Item{Quantity: 1000}, false)
	f.showProblems(nil)
	f.recalc()
}

// open loads a HIS file into the form, saying so when its text was converted from GBK, and
// reports whether it could.
func (f *billForm) open(r io.Reader) bool {
	b, enc, err := service.ReadBill(r)
	if err != nil {
		f.u.showError(err)
		return false
	}
	f.load(b)
	f.note.SetText("")
	if enc == service.GBK {
		f.note.SetText(f.u.tr.T("form.gbk"))
	}
	return true
}

// load puts a bill from a HIS file into the form for the cashier to check and submit.
func (f *billForm) load(b *bill.Bill) {
	f.reset()
	f.base = b
	for i, k := range kinds {
		if b.Kind == k {
			f.kind.SetSelectedIndex(i)
		}
	}
	for i, t := range payerTypes {
		if b.Payer.Type == t {
			f.payerType.SetSelectedIndex(i)
		}
	}
	for i, s := range sexes {
		if b.Medical.Sex == s {
			f.sex.SetSelectedIndex(i)
		}
	}
	m, p := &b.Medical, &b.Payment
	for e, s := range map[*formEntry]string{f.code: b.Code, f.serial: b.Serial, f.payerName: b.Payer.Name,
		f.payerID: b.Payer.ID, f.patientNo: m.PatientNo, f.department: m.Department, f.visit: m.VisitDate.String(),
		f.admission: m.AdmissionDate.String(), f.discharge: m.DischargeDate.String(),
		f.insuranceType: m.InsuranceType, f.insuranceNo: m.InsuranceNo, f.remark: b.Remark,
		f.fund: p.Fund.String(), f.other: p.Other.String(), f.account: p.Account.String(),
		f.selfPay: p.SelfPay.String(), f.selfFunded: p.SelfFunded.String()} {
		e.SetText(s)
	}
	f.rows = nil
	for _, it := range b.Items {
		f.addRow(it, false)
	}
	f.layoutRows()
	f.recalc()
}

// addRow appends an item row; focus puts the cursor in its name, as Enter does.
func (f *billForm) addRow(it bill.Item, focus bool) {
	r := &itemRow{extra: it}
	cats := translated(f.u.tr, "cat.", bill.Categories)
	r.category = widget.NewSelect(cats, nil)
	r.category.PlaceHolder = f.u.tr.T("form.pick")
	switch {
	case it.Category != "":
		for i, c := range bill.Categories {
			if c == it.Category {
				r.category.SetSelectedIndex(i)
			}
		}
	case len(f.rows) > 0: // the next item is most often of the same category
		r.category.SetSelectedIndex(f.rows[len(f.rows)-1].category.SelectedIndex())
	}
	enter := func(string) { f.rowEntered(r) }
	r.name, r.qty, r.price = newFormEntry(f.onSubmit), newFormEntry(f.onSubmit), newFormEntry(f.onSubmit)
	r.name.SetText(it.Name)
	r.qty.SetText(it.Quantity.String())
	r.price.SetPlaceHolder("0.00")
	if it.Price != 0 {
		r.price.SetText(it.Price.String())
	}
	for _, e := range []*formEntry{r.name, r.qty, r.price} {
		e.OnSubmitted = enter
		e.OnChanged = func(string) { f.recalc() }
	}
	r.amount = widget.NewLabel("")
	r.err = f.problemLabel("")
	remove := widget.NewButton(f.u.tr.T("form.item.remove"), func() { f.removeRow(r) })
	r.box = container.NewBorder(nil, r.err, nil, remove,
		container.NewGridWithColumns(5, r.category, r.name, r.qty, r.price, r.amount))
	f.rows = append(f.rows, r)
	f.layoutRows()
	if focus {
		f.u.win.Canvas().Focus(r.name)
	}
}

// rowEntered is Enter in an item row: a new row after the last, else the next row's name.
func (f *billForm) rowEntered(r *itemRow) {
	for i, x := range f.rows {
		if x == r && i+1 < len(f.rows) {
			f.u.win.Canvas().Focus(f.rows[i+1].name)
			return
		}
	}
	f.addRow(bill.Item{Quantity: 1000}, true)
}

func (f *billForm) removeRow(r *itemRow) {
	for i, x := range f.rows {
		if x == r {
			f.rows = append(f.rows[:i], f.rows[i+1:]...)
			break
		}
	}
	f.layoutRows()
	f.recalc()
}

func (f *billForm) layoutRows() {
	objs := make([]fyne.CanvasObject, len(f.rows))
	for i, r := range f.rows {
		objs[i] = r.box
	}
	f.items.Objects = objs
	f.items.Refresh()
}

func (f *billForm) kindChanged() {
	inpatient := f.kind.SelectedIndex() == 1
	for _, c := range []fyne.CanvasObject{f.admissionCell, f.dischargeCell} {
		if inpatient {
			c.Show()
		} else {
			c.Hide()
		}
	}
	if inpatient {
		f.visitCell.Hide()
	} else {
		f.visitCell.Show()
	}
	f.recalc()
}

// recalc follows every keystroke: item amounts, the total in figures and capitals, the cash
// part of the payment, and once a submit was tried, the problems.
func (f *billForm) recalc() {
	if f.content == nil { // still being built
		return
	}
	b, ps := f.read()
	for i, r := range f.rows {
		r.amount.SetText(b.Items[i].Amount.String())
	}
	f.total.SetText("¥" + b.Total.String())
	f.capitals.SetText(f.u.tr.F("form.capitals", b.Total.Capitals()))
	f.cash.SetText(b.Payment.Cash.String())
	if f.tried {
		f.showProblems(ps)
	}
}

// read builds the bill the form shows, with every problem: unreadable numbers and dates
// first, then the rules of bill.Validate for the fields that could be read.
func (f *billForm) read() (*bill.Bill, bill.Problems) {
	var ps bill.Problems
	bad := map[string]bool{}
	parseErr := func(path, key string) {
		bad[path] = true
		ps = append(ps, bill.Problem{Path: path, ZH: f.u.tr.msgs[langZH][key], EN: f.u.tr.msgs[langEN][key]})
	}
	money := func(path string, e *formEntry) bill.Money {
		s := strings.TrimSpace(e.Text)
		if s == "" {
			return 0
		}
		m, err := bill.ParseMoney(s)
		if err != nil {
			parseErr(path, "form.bad.money")
		}
		return m
	}
	date := func(path string, e *formEntry) bill.Date {
		s := strings.TrimSpace(e.Text)
		if s == "" {
			return bill.Date{}
		}
		d, err := bill.ParseDate(s)
		if err != nil {
			parseErr(path, "form.bad.date")
		}
		return d
	}
	b := *f.base
	b.Kind = kinds[max(f.kind.SelectedIndex(), 0)]
	b.Code, b.Serial = strings.TrimSpace(f.code.Text), strings.TrimSpace(f.serial.Text)
	b.OrgCode, b.CreatedAt = f.acct.Org, f.u.now()
	if b.Cashier == "" {
		b.Cashier = f.acct.Name
	}
	if b.Payee.Name == "" {
		b.Payee = bill.Payee{Name: f.acct.OrgName, CreditCode: f.acct.OrgCredit}
	}
	b.Payer = bill.Payer{Name: strings.TrimSpace(f.payerName.Text), ID: strings.TrimSpace(f.payerID.Text)}
	if i := f.payerType.SelectedIndex(); i >= 0 {
		b.Payer.Type = payerTypes[i]
	}
	m := &b.Medical
	m.Sex = sexes[max(f.sex.SelectedIndex(), 0)]
	m.PatientNo, m.Department = strings.TrimSpace(f.patientNo.Text), strings.TrimSpace(f.department.Text)
	m.InsuranceType, m.InsuranceNo = strings.TrimSpace(f.insuranceType.Text), strings.TrimSpace(f.insuranceNo.Text)
	m.VisitDate, m.AdmissionDate, m.DischargeDate = bill.Date{}, bill.Date{}, bill.Date{}
	if b.Kind == bill.Inpatient {
		m.AdmissionDate = date("medical.admission_date", f.admission)
		m.DischargeDate = date("medical.discharge_date", f.discharge)
	} else {
		m.VisitDate = date("medical.visit_date", f.visit)
	}
	b.Items = make([]bill.Item, len(f.rows))
	for i, r := range f.rows {
		it := r.extra
		it.Name = strings.TrimSpace(r.name.Text)
		it.Category = ""
		if c := r.category.SelectedIndex(); c >= 0 {
			it.Category = bill.Categories[c]
		}
		path := "items[" + strconv.Itoa(i) + "]."
		q, err := bill.ParseQuantity(strings.TrimSpace(r.qty.Text))
		if err != nil {
			parseErr(path+"quantity", "form.bad.quantity")
		}
		it.Quantity, it.Price = q, money(path+"price", r.price)
		b.Items[i] = it
	}
	p := &b.Payment
	p.Fund, p.Other, p.Account = money("payment.fund", f.fund), money("payment.other", f.other), money("payment.account", f.account)
	p.SelfPay, p.SelfFunded = money("payment.self_pay", f.selfPay), money("payment.self_funded", f.selfFunded)
	b.Derive()
	b.Remark = strings.TrimSpace(f.remark.Text)
	if err := b.Validate(); err != nil {
		for _, p := range err.(bill.Problems) {
			if !bad[p.Path] && !(strings.HasSuffix(p.Path, ".amount") && bad[strings.TrimSuffix(p.Path, "amount")+"price"]) {
				ps = append(ps, p)
			}
		}
	}
	// In the order of the form, so the cursor goes to the first bad field from the top.
	slices.SortStableFunc(ps, func(a, b bill.Problem) int { return formRank(a.Path) - formRank(b.Path) })
	return &b, ps
}

// formOrder is the order of the form's sections, by the first part of a problem's path.
var formOrder = []string{"kind", "code", "serial", "remark", "payer", "medical", "items", "total", "payment"}

func formRank(path string) int {
	for i, p := range formOrder {
		if strings.HasPrefix(path, p) {
			return i
		}
	}
	return len(formOrder)
}

// showProblems puts each problem under its field, an item's under its row, and the rest
// at the end of the form.
func (f *billForm) showProblems(ps bill.Problems) {
	text := map[*widget.Label][]string{}
	for _, l := range f.errs {
		text[l] = nil
	}
	for _, r := range f.rows {
		text[r.err] = nil
	}
	text[f.rest] = nil
	for _, p := range ps {
		l := f.labelFor(p.Path)
		text[l] = append(text[l], f.u.tr.pick(p.ZH, p.EN))
	}
	for l, lines := range text {
		l.SetText(strings.Join(lines, "\n"))
		if len(lines) == 0 {
			l.Hide()
		} else {
			l.Show()
		}
	}
}

func (f *billForm) labelFor(path string) *widget.Label {
	if l, ok := f.errs[path]; ok {
		return l
	}
	if i, ok := itemIndex(path); ok && i < len(f.rows) {
		return f.rows[i].err
	}
	return f.rest
}

// itemIndex reads the item number of a path like items[3].price.
func itemIndex(path string) (int, bool) {
	rest, ok := strings.CutPrefix(path, "items[")
	if !ok {
		return 0, false
	}
	n, _, ok := strings.Cut(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	return i, err == nil
}

// focusFor is the widget to put the cursor in for a problem.
func (f *billForm) focusFor(path string) fyne.Focusable {
	if w, ok := f.focus[path]; ok {
		return w
	}
	if i, ok := itemIndex(path); ok && i < len(f.rows) {
		r := f.rows[i]
		switch {
		case strings.HasSuffix(path, ".quantity"):
			return r.qty
		case strings.HasSuffix(path, ".price"), strings.HasSuffix(path, ".amount"):
			return r.price
		}
		return r.name
	}
	return nil
}

func (f *billForm) onSubmit() {
	f.tried = true
	b, ps := f.read()
	f.showProblems(ps)
	if len(ps) > 0 {
		if w := f.focusFor(ps[0].Path); w != nil {
			f.u.win.Canvas().Focus(w)
		}
		return
	}
	desk := f.u.desk
	f.u.act(f.u.tr.T("submit.title"), func(ctx context.Context, p service.Progress) (*service.View, error) {
		return desk.Submit(ctx, b, p)
	}, f.submitted)
}

func (f *billForm) submitted(v *service.View) {
	tr := f.u.tr
	if v.Existed {
		f.u.showError(&inputError{tr.F("form.existed", v.Serial(), tr.T("status."+v.Record.Status.String()))})
		return
	}
	f.u.prefs.SetString(prefCode, v.Record.Code)
	f.reset()
	f.note.SetText(tr.F("form.submitted", v.Serial(), v.Record.Total.String()))
	f.u.win.Canvas().Focus(f.payerName)
	f.onSubmitted(v)
}
