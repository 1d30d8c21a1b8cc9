package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/wire"
)

// queueSize is the finance clerk's queue in TestReviewQueue: a busy hospital's morning. The
// full 500 fit the test budget (the test takes 11–15 s on 2 shared cores: submitting about
// 5 s, paging 1 s, bulk approval 5 s; docs/PERFORMANCE.md). A multiple of pageSize, so the
// last page is full and only a Next past it finds the end.
const queueSize = 500

// TestReviewQueue is a finance clerk with a long queue: the bills arrive through the
// service's batch submission (a HIS batch), the queue pages through them fifty at a time
// with nothing skipped or shown twice, and bulk approval, run behind a progress dialog off
// the UI goroutine, approves exactly the bills that pass every automatic check and leaves
// the others in the queue with the reasons they were held.
func TestReviewQueue(t *testing.T) {
	u, w, shown := newTestUI(t, langZH, nil)
	tr := u.tr
	u.prefs.SetString(prefNetwork, networkDemo)
	u.prefs.SetString(prefIdentity, node.DemoClerkName)
	u.Start()
	waitFor(t, "the finance screen", func() bool { return shown.Load() == 1 })
	fin := u.finance

	bills, held := queueBills(time.Now().Add(-time.Minute))
	id, err := u.store.Load(t.Context(), node.DemoCashierName)
	if err != nil {
		t.Fatal(err)
	}
	cashier, err := u.net.As(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, r := range cashier.SubmitBatch(t.Context(), bills, nil) {
		if r.Err != nil {
			t.Fatalf("submit bill %d: %v", r.Index, r.Err)
		}
	}
	t.Logf("%d bills submitted in %v", len(bills), time.Since(start))

	start = time.Now()
	test.Tap(fin.refresh)
	seen := map[string]int{}
	pages := (len(bills) + pageSize - 1) / pageSize
	for page := 1; page <= pages; page++ {
		want := tr.F("finance.page", page, (page-1)*pageSize+1, min(page*pageSize, len(bills)))
		waitFor(t, want, func() bool { return fin.page.Text == want && !fin.next.Disabled() })
		for _, v := range fin.queue.views {
			seen[v.Serial()]++
		}
		test.Tap(fin.next)
	}
	// A full last page cannot know it is the last: Next finds nothing and stays on it.
	waitFor(t, "the end of the queue", func() bool { return fin.next.Disabled() && !fin.prev.Disabled() })
	if last := tr.F("finance.page", pages, (pages-1)*pageSize+1, len(bills)); fin.page.Text != last || len(fin.queue.views) != pageSize {
		t.Errorf("past the last page: %q with %d bills, want %q", fin.page.Text, len(fin.queue.views), last)
	}
	for _, b := range bills {
		if n := seen[b.Serial]; n != 1 {
			t.Errorf("%s shown %d times while paging", b.Serial, n)
		}
	}
	if len(seen) != len(bills) {
		t.Errorf("%d bills shown while paging, want %d", len(seen), len(bills))
	}
	t.Logf("%d pages in %v", pages, time.Since(start))

	start = time.Now()
	test.Tap(fin.bulk)
	// The tap is back while the bills are still being approved: the work is off the UI
	// goroutine, behind a dialog with a progress bar.
	dlg := w.Canvas().Overlays().Top()
	if fin.note.Text != "" || dlg == nil || !shows(dlg, tr.T("finance.bulk.title")) {
		t.Fatalf("bulk approval: note %q before it finished, dialog %v", fin.note.Text, dlg != nil)
	}
	bar := firstOf[*widget.ProgressBar](dlg)
	if bar == nil {
		t.Fatalf("no progress bar in %q", texts(dlg))
	}
	waitFor(t, "the bulk approval", func() bool { return fin.note.Text != "" })
	t.Logf("bulk approval of %d bills in %v", len(bills), time.Since(start))
	approved := len(bills) - len(held)
	if want := tr.F("finance.auto.done", approved, len(held)); fin.note.Text != want {
		t.Errorf("bulk approval says %q, want %q", fin.note.Text, want)
	}
	if bar.Value != float64(approved) || bar.Max != float64(approved) {
		t.Errorf("progress bar ended at %v of %v, want %d", bar.Value, bar.Max, approved)
	}

	// What is left is the held bills, on the first page, each with why it was held.
	want := tr.F("finance.page", 1, 1, len(held))
	waitFor(t, want, func() bool { return fin.page.Text == want })
	var left []string
	for _, v := range fin.queue.views {
		left = append(left, v.Serial())
	}
	for serial, rule := range held {
		twin, isTwin := strings.CutSuffix(serial, "-twin")
		if isTwin { // whichever of the two was reviewed second is the duplicate
			if slices.Contains(left, twin) == slices.Contains(left, serial) {
				t.Errorf("of %s and its twin, not exactly one is held: %v", twin, left)
			}
			if !slices.Contains(left, serial) {
				serial = twin
			}
		}
		if !slices.Contains(left, serial) {
			t.Errorf("held %s is not in the queue: %v", serial, left)
		}
		lines := texts(fin.review)
		i := slices.Index(lines, serial)
		if i < 0 || i+1 == len(lines) || !strings.HasPrefix(lines[i+1], "✗ "+tr.T("check."+rule)+": ") {
			t.Errorf("held %s: no %s reason on screen: %q", serial, rule, lines)
		}
	}
	if len(left) != len(held) {
		t.Errorf("queue after bulk approval: %v, want the %d held bills", left, len(held))
	}

	// The ledger agrees: every bill is approved or held, none failed or was left unseen.
	var onLedger int
	for cursor := uint64(0); ; {
		p, err := u.desk.Bills(t.Context(), node.DemoHospital, wire.StatusApproved, cursor, 0)
		if err != nil {
			t.Fatal(err)
		}
		onLedger += len(p.Bills)
		if cursor = p.Next; cursor == 0 {
			break
		}
	}
	if onLedger+len(left) != len(bills) || onLedger != approved {
		t.Errorf("on the ledger %d approved and %d queued of %d, want %d approved and %d held, none left",
			onLedger, len(left), len(bills), approved, len(held))
	}
}

// queueBills is queueSize valid outpatient bills, some that the automatic reviewer holds
// among them, and the serials of those with the rule that holds them. A twin (the same
// payer, visit and total under another serial) is held as a duplicate, but which of the
// two depends on which is reviewed first: it is listed under the twin's serial.
func queueBills(created time.Time) ([]*bill.Bill, map[string]string) {
	const big, twins = 3, 3
	held := map[string]string{}
	var bills []*bill.Bill
	for i := range queueSize - big - twins {
		b := bill.Sample(bill.Outpatient, node.DemoHospital, fmt.Sprintf("Q%04d", i), 1+i%4, created)
		b.Medical.PatientNo = fmt.Sprintf("MZ%08d", i) // no two visits alike by chance
		bills = append(bills, b)
	}
	for i := range twins {
		twin := *bills[i*100]
		twin.Serial += "-twin"
		bills = append(bills, &twin)
		held[twin.Serial] = "duplicate"
	}
	for i := range big {
		b := bill.Sample(bill.Outpatient, node.DemoHospital, fmt.Sprintf("BIG%d", i), 1, created)
		b.Medical.PatientNo = fmt.Sprintf("MZ9%07d", i)
		it := &b.Items[0]
		it.Price = 6_000_000 // 60,000 yuan: beyond what an outpatient bill plausibly costs
		it.Amount = it.Quantity.Times(it.Price)
		b.Total = it.Amount
		b.Payment = bill.Payment{Cash: b.Total, SelfPay: b.Total}
		bills = append(bills, b)
		held[b.Serial] = "amount"
	}
	return bills, held
}
