package ui

import (
	"bytes"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/text/encoding/simplifiedchinese"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/internal/golden"
	"ebill/lightclient"
)

// fixedNow is the clock of the golden screens.
func fixedNow() time.Time { return time.Date(2026, 11, 23, 9, 30, 0, 0, time.Local) }

// goldenScreen compares the window with testdata/NAME-LANG.png through internal/golden
// (a mismatch is written to testdata/failed/; accept with -update).
func goldenScreen(t *testing.T, u *UI, w fyne.Window, name string) {
	t.Helper()
	w.Content().Refresh()
	var pic bytes.Buffer
	if err := png.Encode(&pic, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
	golden.Equal(t, filepath.Join("testdata", name+"-"+u.tr.lang+".png"), pic.Bytes())
}

// TestFormValidation submits an incomplete bill with the keyboard: each problem appears
// under its own field, the cursor goes to the first one, and typing the missing value clears
// its message.
func TestFormValidation(t *testing.T) {
	u, w, _ := newTestUI(t, langZH, fixedNow)
	u.prefs.SetString(prefCode, node.DemoBillCode)
	f := newBillForm(u, testAccount(), func(*service.View) { t.Error("submitted an invalid bill") })
	w.SetContent(f.content)
	r := f.rows[0]
	typeIn(w, r.name, "血常规")
	typeIn(w, r.price, "25.5.0")
	f.visit.SetText("")
	typeIn(w, f.visit, "2026-11-31")
	press(t, w)

	want := map[*widget.Label]string{
		f.errs["payer.name"]:         "缺少交款人",
		f.errs["medical.visit_date"]: u.tr.msgs[langZH]["form.bad.date"],
		r.err:                        u.tr.msgs[langZH]["form.bad.money"],
	}
	for l, msg := range want {
		if !l.Visible() || !strings.Contains(l.Text, msg) {
			t.Errorf("problem label %q (visible %v), want %q", l.Text, l.Visible(), msg)
		}
	}
	if f.errs["code"].Visible() {
		t.Errorf("bill code marked: %q", f.errs["code"].Text)
	}
	if w.Canvas().Focused() != f.payerName {
		t.Errorf("focus on %T, want the payer name", w.Canvas().Focused())
	}
	goldenScreen(t, u, w, "form-invalid")

	typeIn(w, f.payerName, "张三")
	if f.errs["payer.name"].Visible() {
		t.Errorf("payer name still marked after typing it: %q", f.errs["payer.name"].Text)
	}
}

// TestScreens compares the first-run screen and a bill's detail with their golden images, in
// both languages.
func TestScreens(t *testing.T) {
	for _, language := range []string{langZH, langEN} {
		t.Run(language, func(t *testing.T) {
			u, w, _ := newTestUI(t, language, fixedNow)
			u.showFirstRun()
			waitFor(t, "the keyring probe", func() bool { return !u.first.create.Disabled() })
			goldenScreen(t, u, w, "firstrun")

			u.desk = nil
			w.SetContent(container.NewVScroll(u.billView(sampleView())))
			goldenScreen(t, u, w, "detail")
		})
	}
}

// sampleView is an issued bill as the ledger and the light node would give it.
func sampleView() *service.View {
	created := fixedNow()
	in := bill.Sample(bill.Outpatient, node.DemoHospital, "W20261123093000000", 4, created)
	in.Code = node.DemoBillCode
	b := &bill.Issued{Bill: *in, Number: "0000000042", CheckCode: "3fa9c1", IssuedAt: created.Add(3 * time.Second)}
	actor := make([]byte, 32)
	ev := func(typ wire.EventType, h int64, sec int) wire.Event {
		return wire.Event{Type: typ, Height: h, Time: created.Add(time.Duration(sec) * time.Second),
			TxHash: [32]byte{byte(h), 0xab, 0xcd}, Actor: actor}
	}
	events := []wire.Event{ev(wire.EventSubmitted, 40, 0), ev(wire.EventApproved, 41, 1), ev(wire.EventIssued, 42, 3)}
	return &service.View{
		ID:   bill.ID(b.OrgCode, b.Serial),
		Bill: b,
		Record: wire.BillRecord{Kind: b.Kind, Org: b.OrgCode, Serial: b.Serial, Code: b.Code, Total: b.Total,
			Created: created, Status: wire.StatusIssued, Number: b.Number, CheckCode: b.CheckCode,
			IssuedAt: b.IssuedAt, Events: events},
		Timeline: events,
		Verified: lightclient.Verified{Height: 43, SignedPercent: 100},
	}
}

// TestFormKeepsHIS loads a bill as a HIS file gives it and reads it back from the form: what
// the form shows and what it does not (item codes, units, remarks, the inpatient deposit)
// comes back unchanged, so a cashier who only checks and submits sends the HIS's bill.
func TestFormKeepsHIS(t *testing.T) {
	u, _, _ := newTestUI(t, langZH, fixedNow)
	for _, kind := range kinds {
		want := bill.Sample(kind, node.DemoHospital, "HIS-1", 12, fixedNow().Add(-time.Hour))
		f := newBillForm(u, testAccount(), nil)
		f.load(want)
		got, ps := f.read()
		if len(ps) > 0 {
			t.Fatalf("%s: problems %v", kind, ps)
		}
		got.CreatedAt = want.CreatedAt // the form stamps the time of submission
		a, _ := want.Marshal()
		b, _ := got.Marshal()
		if string(a) != string(b) {
			t.Errorf("%s: read back\n%s\nwant\n%s", kind, b, a)
		}
	}
}

// TestOpenHISFile opens HIS files as the cashier's "Open HIS file" does: a GBK file fills the
// form in readable Chinese and says it was read as GBK; a file that is neither UTF-8 nor GBK
// is refused with a message that says so, and leaves the form as it was.
func TestOpenHISFile(t *testing.T) {
	u, w, _ := newTestUI(t, langZH, fixedNow)
	want := bill.Sample(bill.Outpatient, node.DemoHospital, "HIS-1", 3, fixedNow().Add(-time.Hour))
	var utf8 bytes.Buffer
	if err := want.Encode(&utf8); err != nil {
		t.Fatal(err)
	}
	gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes(utf8.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		file   []byte
		ok     bool
		note   string // what the form says after it, when it opened
		dialog string // what the error says, when it did not
	}{
		{name: "utf-8", file: utf8.Bytes(), ok: true, note: ""},
		{name: "gbk", file: gbk, ok: true, note: u.tr.T("form.gbk")},
		{name: "latin-1", file: []byte("{\"cashier\": \"Zo\xEB\"}"), dialog: u.tr.T("err.encoding")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBillForm(u, testAccount(), nil)
			w.SetContent(f.content)
			if got := f.open(bytes.NewReader(tt.file)); got != tt.ok {
				t.Fatalf("open = %v, want %v", got, tt.ok)
			}
			if !tt.ok {
				dialogSays(t, w, tt.dialog)
				if f.payerName.Text != "" {
					t.Errorf("payer %q after a refused file", f.payerName.Text)
				}
				return
			}
			if f.note.Text != tt.note || f.payerName.Text != want.Payer.Name {
				t.Errorf("note %q, payer %q; want %q, %q", f.note.Text, f.payerName.Text, tt.note, want.Payer.Name)
			}
		})
	}
}
