package ui

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"ebill/app/service"
	"ebill/app/wire"
)

// TestFlow drives the desk as its users do, against the embedded demo node: create an
// identity, start the demo network, type two bills and submit them with the keyboard, switch
// to the bureau's clerk, approve one and reject the other with a reason, switch back, issue
// the approved bill, open its detail, export its PDF, and find the rejected one with its
// reason, and reverse the issued one. In both languages.
func TestFlow(t *testing.T) {
	for _, language := range []string{langZH, langEN} {
		t.Run(language, func(t *testing.T) { flow(t, language) })
	}
}

func flow(t *testing.T, language string) {
	// Registered before the desk's Close, so it runs after it.
	var opened string // the PDF handed to the system viewer
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Dir(opened)); opened != "" && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the directory of %s outlives the desk: %v", opened, err)
		}
	})
	u, w, shown := newTestUI(t, language, nil)
	tr := u.tr
	u.Start()
	first := u.first
	waitFor(t, "the keyring probe", func() bool { return !first.create.Disabled() })
	shoot(t, u, w, "firstrun")
	typeIn(w, first.name, "alice")
	test.Tap(first.create)
	waitFor(t, "the network step", func() bool { return first.demo != nil })
	test.Tap(first.demo)
	waitFor(t, "the cashier screen", func() bool { return shown.Load() == 1 })

	form := u.cashier.form
	good := typeBill(t, u, w, "张三", "25.50", "180.00")
	if form.total.Text != "¥205.50" || !strings.Contains(form.capitals.Text, "贰佰零伍元伍角") {
		t.Errorf("live total %q, %q", form.total.Text, form.capitals.Text)
	}
	shoot(t, u, w, "cashier")
	submit(t, u, w, good)
	bad := typeBill(t, u, w, "李四", "12.00")
	submit(t, u, w, bad)

	switchRole(t, u, shown)
	fin := u.finance
	review := func(serial string) {
		waitFor(t, serial+" in the queue", func() bool { return find(fin.queue.views, serial) >= 0 })
		fin.queue.list.Select(find(fin.queue.views, serial))
		waitFor(t, "the review of "+serial, func() bool { return fin.current != nil && fin.current.Serial() == serial })
	}
	review(good)
	if !fin.current.Passed() || !shows(fin.review, tr.T("finance.pass")) {
		t.Errorf("review of %s: checks %+v", good, fin.current.Checks)
	}
	shoot(t, u, w, "finance")
	test.Tap(fin.approve)
	// The approval reloads the queue in the background: wait until the approved bill has
	// left it, or the index of the next bill may point into the list being replaced.
	waitFor(t, "the approval", func() bool {
		return fin.current == nil && shows(fin.review, good) && find(fin.queue.views, good) < 0
	})
	review(bad)
	typeIn(w, fin.reason, "金额有误")
	test.Tap(fin.reject)
	waitFor(t, "the rejection", func() bool { return fin.current == nil && shows(fin.review, bad) })

	switchRole(t, u, shown)
	mine := u.cashier.mine
	waitFor(t, good+" approved in my bills", func() bool {
		i := find(mine.views, good)
		return i >= 0 && mine.views[i].Record.Status == wire.StatusApproved
	})
	mine.list.Select(find(mine.views, good))
	bills := u.bills
	waitFor(t, "the detail of "+good, func() bool { return bills.current != nil && bills.current.Serial() == good })
	test.Tap(bills.issue)
	waitFor(t, "the issue", func() bool { return bills.current.Record.Status == wire.StatusIssued })
	v := bills.current
	if v.Record.Number == "" || !shows(bills.detail, v.Record.Number) ||
		!shows(bills.detail, tr.F("detail.verified", v.Verified.Height, v.Verified.SignedPercent)) {
		t.Errorf("detail of the issued bill lacks its number or badge: %q", texts(bills.detail))
	}
	for _, e := range []string{"submitted", "approved", "issued"} {
		if !shows(bills.detail, tr.T("event."+e)) {
			t.Errorf("timeline lacks %q", e)
		}
	}
	shoot(t, u, w, "bill")

	// Saved over an earlier file, through a writer that truncates when the file is picked,
	// as Fyne's save dialog hands it over.
	pdf := filepath.Join(t.TempDir(), "bill.pdf")
	if err := os.WriteFile(pdf, []byte("an earlier file"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.pickSave = func(_ string, done func(fyne.URIWriteCloser)) {
		wc, err := storage.Writer(storage.NewFileURI(pdf))
		if err != nil {
			t.Fatal(err)
		}
		done(wc)
	}
	test.Tap(bills.savePDF)
	waitFor(t, "the PDF", func() bool { return strings.Contains(bills.note.Text, pdf) })
	saved, err := os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(saved, []byte("%PDF-")) || len(saved) < 10_000 {
		t.Errorf("PDF: %d bytes, %v", len(saved), err)
	}
	// The PDF for the viewer goes to the desk's private directory, gone when the desk is.
	test.Tap(bills.openPDF)
	waitFor(t, "the PDF for the viewer", func() bool { return strings.Contains(bills.note.Text, pdfName(v)) })
	note := bills.note.Text
	opened = note[strings.Index(note, os.TempDir()) : strings.Index(note, pdfName(v))+len(pdfName(v))]
	dir := filepath.Dir(opened)
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 || !strings.HasPrefix(filepath.Base(dir), pdfDirPrefix) {
		t.Errorf("PDF for the viewer in %s: %v; want a directory %s* of mode 0700", dir, err, pdfDirPrefix)
	}
	if data, err := os.ReadFile(opened); err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Errorf("PDF for the viewer: %d bytes, %v", len(data), err)
	}

	// Found again as printed on the paper, then reversed with a reason.
	bills.current = nil
	bills.mode.SetSelectedIndex(byNumber)
	typeIn(w, bills.first, v.Record.Code)
	typeIn(w, bills.second, v.Record.Number)
	enter(bills.second)
	waitFor(t, "the search by number", func() bool { return bills.current != nil })
	if bills.current.ID != v.ID {
		t.Fatalf("search by %s %s found %s, want %s", v.Record.Code, v.Record.Number, bills.current.ID, v.ID)
	}
	typeIn(w, bills.reason, "患者退费")
	test.Tap(bills.reverse)
	waitFor(t, "the red bill", func() bool { return bills.current.Record.RedOf == v.ID })
	if red := bills.current; red.Record.Status != wire.StatusIssued || red.Record.Total != -v.Record.Total {
		t.Errorf("red bill: status %v, total %s", red.Record.Status, red.Record.Total)
	}

	badID, err := u.desk.BillID(bad)
	if err != nil {
		t.Fatal(err)
	}
	bills.open(badID)
	waitFor(t, "the rejected bill", func() bool { return bills.current.ID == badID })
	if bills.current.Bill == nil || !shows(bills.detail, tr.T("detail.correct")) {
		t.Error("a rejected bill offers no correction")
	}
	// A render that fails (a rejected bill has no PDF) leaves the earlier file whole.
	bills.onSavePDF()
	dialogSays(t, w, tr.T("err.state"))
	if data, err := os.ReadFile(pdf); err != nil || !bytes.Equal(data, saved) {
		t.Errorf("after a failed render the saved PDF has %d bytes, %v; want %d", len(data), err, len(saved))
	}
	if bills.current.Record.Status != wire.StatusRejected || !shows(bills.detail, "金额有误") ||
		!shows(bills.detail, tr.T("status.rejected")) {
		t.Errorf("rejected bill: status %v, screen %q", bills.current.Record.Status, texts(bills.detail))
	}
	shoot(t, u, w, "rejected")
	u.tabs.SelectIndex(len(u.tabs.Items) - 1)
	shoot(t, u, w, "settings")
}

// typeBill types a bill with one item per price, using Enter to add each next row.
func typeBill(t *testing.T, u *UI, w fyne.Window, payer string, prices ...string) string {
	t.Helper()
	f := u.cashier.form
	typeIn(w, f.payerName, payer)
	typeIn(w, f.department, "呼吸内科")
	for i, price := range prices {
		r := f.rows[i]
		r.category.SetSelectedIndex(i + 1)
		typeIn(w, r.name, "项目"+strconv.Itoa(i+1))
		typeIn(w, r.price, price)
		if i+1 < len(prices) {
			enter(r.price)
			if w.Canvas().Focused() != f.rows[i+1].name {
				if o := w.Canvas().Overlays().Top(); o != nil {
					t.Logf("overlay: %q", texts(o))
				}
				t.Fatalf("Enter in the last row: focus on %T, want the new row's name", w.Canvas().Focused())
			}
		}
	}
	typeIn(w, f.fund, "10.00")
	return f.serial.Text
}

// submit presses Ctrl+S and waits for the bill to be committed and verified.
func submit(t *testing.T, u *UI, w fyne.Window, serial string) {
	t.Helper()
	f := u.cashier.form
	press(t, w)
	waitFor(t, "the submission of "+serial, func() bool { return strings.Contains(f.note.Text, serial) })
}

// switchRole switches the demo between its cashier and its clerk from the settings.
func switchRole(t *testing.T, u *UI, shown *atomic.Int32) {
	t.Helper()
	u.tabs.SelectIndex(len(u.tabs.Items) - 1)
	n := shown.Load()
	test.Tap(u.settings.switchRole)
	waitFor(t, "the switch", func() bool { return shown.Load() > n })
}

func find(views []*service.View, serial string) int {
	return slices.IndexFunc(views, func(v *service.View) bool { return v.Serial() == serial })
}
