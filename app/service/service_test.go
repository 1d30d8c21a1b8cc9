package service_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/render"
	"ebill/wallet"
)

// TestEndToEnd runs bills of two hospitals through one bureau on a real in-process node:
// who may read and act on what, the whole life of a bill, its PDF with a proof bundle that
// verifies offline, and an org key rotation that shuts out a revoked member.
func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := newWorld(t, ctx)
	cashierA, cashierA2, cashierB := w.desk(t, ctx, "cashierA"), w.desk(t, ctx, "cashierA2"), w.desk(t, ctx, "cashierB")
	clerk, admin := w.desk(t, ctx, "clerk"), w.desk(t, ctx, "admin")

	var stages []service.Stage
	progress := service.ProgressFunc(func(s service.Stage, _ string) { stages = append(stages, s) })
	inA := sample(bill.Outpatient, hospitalA, "A", 5)
	a, err := cashierA.Submit(ctx, inA, progress)
	if err != nil {
		t.Fatal(err)
	}
	want := []service.Stage{service.StageSigning, service.StageEncrypting, service.StageSending, service.StageCommitted, service.StageVerified}
	if !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
	if a.Record.Status != wire.StatusSubmitted || a.Bill == nil || a.Verified.Height < 1 || a.Existed {
		t.Fatalf("submitted: status %s, bill %v, verified %+v, existed %v", a.Record.Status, a.Bill != nil, a.Verified, a.Existed)
	}
	// The bill read back is the one submitted, not decoded again: a desk decodes each bill
	// once (the proven record still decides that it is the bill's).
	if &a.Bill.Items[0] != &inA.Items[0] {
		t.Error("the desk decoded the bill it had just sealed")
	}
	b, err := cashierB.Submit(ctx, sample(bill.Inpatient, hospitalB, "B", 12), nil)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("access", func(t *testing.T) {
		for _, c := range []struct {
			name string
			err  error
			want error
		}{
			{"cashier A reads B's bill", fetchErr(ctx, cashierA, b.ID), service.ErrNotReader},
			{"cashier A issues B's bill", issueErr(ctx, cashierA, b.ID), service.ErrNotReader},
			{"clerk submits", submitErr(ctx, clerk, sample(bill.Outpatient, bureau, "C", 1)), service.ErrWrongRole},
			{"cashier approves", approveErr(ctx, cashierA, a.ID), service.ErrWrongRole},
			{"cashier A submits for B", submitErr(ctx, cashierA, sample(bill.Outpatient, hospitalB, "X", 1)), service.ErrNotReader},
			{"unknown bill", fetchErr(ctx, clerk, bill.ID(hospitalA, "no-such-serial")), service.ErrNotFound},
			{"invalid bill", submitErr(ctx, cashierA, &bill.Bill{OrgCode: hospitalA, Serial: "bad"}), service.ErrInvalid},
			{"issue before approval", issueErr(ctx, cashierA, a.ID), service.ErrBadState},
		} {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
			}
		}
		for _, id := range []string{a.ID, b.ID} {
			v, err := clerk.Fetch(ctx, id)
			if err != nil || v.Bill == nil {
				t.Errorf("bureau reads %s: %v", id, err)
			}
		}
		if _, err := cashierA2.Fetch(ctx, a.ID); err != nil {
			t.Errorf("a second cashier of A reads A's bill: %v", err)
		}
	})

	t.Run("idempotent submit", func(t *testing.T) {
		for _, d := range []*service.Desk{cashierA, cashierA2} {
			again, err := d.Submit(ctx, &a.Bill.Bill, nil)
			if err != nil || again.ID != a.ID || !again.Existed || again.Record.Revision != 1 {
				t.Fatalf("submit again: %v, existed %v", err, again != nil && again.Existed)
			}
		}
	})

	t.Run("serial conflict", func(t *testing.T) {
		other := a.Bill.Bill
		other.Payer.Name = "王五"
		_, err := cashierA.Submit(ctx, &other, nil)
		if !errors.Is(err, service.ErrConflict) || !strings.Contains(err.Error(), fmt.Sprintf("%q", other.Serial)) ||
			!strings.Contains(err.Error(), a.ID) {
			t.Fatalf("another bill under serial %q: %v, want ErrConflict naming the serial and %s", other.Serial, err, a.ID)
		}
	})

	held := sample(bill.Outpatient, hospitalA, "big", 1)
	held.Items[0].Price = 6_000_000
	held.Payment = bill.Payment{}
	held.Derive()
	held.Payment.SelfPay = held.Total
	if _, err := cashierA.Submit(ctx, held, nil); err != nil {
		t.Fatal(err)
	}

	t.Run("queue and auto-review", func(t *testing.T) {
		page, err := clerk.Queue(ctx, 0, 0)
		if err != nil || len(page.Bills) != 3 {
			t.Fatalf("queue: %d bills, %v", len(page.Bills), err)
		}
		rep, err := clerk.AutoReview(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Approved != 2 || len(rep.Held) != 1 || len(rep.Failed) != 0 {
			t.Fatalf("auto review: approved %d, held %d, failed %v", rep.Approved, len(rep.Held), rep.Failed)
		}
		r := rep.Held[0]
		heldView, err := cashierA.FetchSerial(ctx, hospitalA, held.Serial)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != heldView.ID || r.Passed() || failed(r) != "amount" {
			t.Fatalf("held %s for %q", r.ID, failed(r))
		}
		rejected, err := clerk.Reject(ctx, r.ID, "金额异常，请核对", nil)
		if err != nil {
			t.Fatal(err)
		}
		// The reason is on the ledger sealed for the bill's orgs only: both read it, the
		// record holds no byte of it in clear.
		last := rejected.Record.Events[len(rejected.Record.Events)-1]
		if rejected.Reason != "金额异常，请核对" || len(last.Sealed) == 0 || bytes.Contains(last.Sealed, []byte("金额")) || last.Note != "" {
			t.Errorf("rejected: reason %q, event note %q sealed %x", rejected.Reason, last.Note, last.Sealed)
		}
		if v, err := cashierA.Fetch(ctx, r.ID); err != nil || v.Reason != "金额异常，请核对" || v.Notes[len(v.Notes)-1] != v.Reason {
			t.Errorf("the hospital reads the reason: %v %q", err, v.Reason)
		}
		// Resubmitted, the bill's timeline still holds the first revision, with its reason.
		if _, err := cashierA.Submit(ctx, held, nil); err != nil {
			t.Fatal(err)
		}
		v, err := cashierA.Fetch(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var types []wire.EventType
		for _, e := range v.Timeline {
			types = append(types, e.Type)
		}
		if want := []wire.EventType{wire.EventSubmitted, wire.EventRejected, wire.EventResubmitted}; v.Record.Revision != 2 ||
			!slices.Equal(types, want) || len(v.Notes) != 3 || v.Notes[1] != "金额异常，请核对" {
			t.Errorf("resubmitted: revision %d, timeline %v, notes %q", v.Record.Revision, types, v.Notes)
		}
		if _, err := cashierA.Withdraw(ctx, r.ID, "重新开具", nil); err != nil {
			t.Fatal(err)
		}
		twin := a.Bill.Bill
		twin.Serial += "-twin"
		if _, err := cashierA.Submit(ctx, &twin, nil); err != nil {
			t.Fatal(err)
		}
		rep, err = clerk.AutoReview(ctx, nil)
		if err != nil || rep.Approved != 0 || len(rep.Held) != 1 || failed(rep.Held[0]) != "duplicate" {
			t.Fatalf("auto review of a twin: approved %d, held %d, %v", rep.Approved, len(rep.Held), err)
		}
		if _, err := clerk.Reject(ctx, rep.Held[0].ID, "重复开票", nil); err != nil {
			t.Fatal(err)
		}
		page, err = clerk.Queue(ctx, 0, 0)
		if err != nil || len(page.Bills) != 0 {
			t.Fatalf("queue after review: %d bills, %v", len(page.Bills), err)
		}
	})

	var issued *service.View
	t.Run("issue and fetch", func(t *testing.T) {
		if issued, err = cashierA.Issue(ctx, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		if issued.Record.Status != wire.StatusIssued || len(issued.Bill.Number) != 10 || len(issued.Bill.CheckCode) != 6 {
			t.Fatalf("issued: %s %q %q", issued.Record.Status, issued.Bill.Number, issued.Bill.CheckCode)
		}
		for _, fetch := range []func() (*service.View, error){
			func() (*service.View, error) { return cashierA.Fetch(ctx, a.ID) },
			func() (*service.View, error) { return clerk.FetchNumber(ctx, issued.Bill.Code, issued.Bill.Number) },
			func() (*service.View, error) { return cashierA.FetchSerial(ctx, hospitalA, issued.Bill.Serial) },
		} {
			v, err := fetch()
			if err != nil || v.Bill.Number != issued.Bill.Number || v.Verified.SignedPercent != 100 || len(v.Record.Events) != 3 {
				t.Errorf("fetch: %v", err)
			}
		}
	})

	t.Run("pdf", func(t *testing.T) {
		dir := t.TempDir()
		pdf := filepath.Join(dir, "bill.pdf")
		var buf bytes.Buffer
		if _, err := cashierA.Render(ctx, &buf, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pdf, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		text, err := exec.Command("pdftotext", pdf, "-").Output()
		if err != nil || !strings.Contains(string(text), issued.Bill.Number) {
			t.Fatalf("pdftotext: %v; number %s not in:\n%s", err, issued.Bill.Number, text)
		}
		if out, err := exec.Command("pdfdetach", "-saveall", "-o", dir, pdf).CombinedOutput(); err != nil {
			t.Fatalf("pdfdetach: %v: %s", err, out)
		}
		data, err := os.ReadFile(filepath.Join(dir, render.AttachmentName))
		if err != nil {
			t.Fatal(err)
		}
		bundle, err := service.ParseBundle(data)
		if err != nil {
			t.Fatal(err)
		}
		// The attachment proves the printed bill and no more: the payer's ID as printed.
		if id := issued.Bill.Payer.ID; id != "" && bytes.Contains(data, []byte(id)) {
			t.Errorf("the PDF's attachment carries the payer's whole ID %q", id)
		}
		trusted, err := w.net.File().TrustedValidators()
		if err != nil {
			t.Fatal(err)
		}
		trust := service.Trust{ChainID: chainID, Validators: trusted}
		v, err := service.VerifyBundle(bundle, trust)
		if err != nil {
			t.Fatal(err)
		}
		stranger, err := wallet.NewIdentity("stranger")
		if err != nil {
			t.Fatal(err)
		}
		strangers := types.NewValidatorSet([]*types.Validator{types.NewValidator(cmted25519.PubKey(stranger.PublicKey()), 10)})
		if v.Bill.Number != issued.Bill.Number || v.Record.Status != wire.StatusIssued || v.Verified.SignedPercent != 100 {
			t.Errorf("bundle proves %s %s, signed by %.0f%%", v.Bill.Number, v.Record.Status, v.Verified.SignedPercent)
		}
		// A trusted validator has left since: the signers hold half of the trusted power,
		// more than the third that skipping verification asks, and the View says half.
		left := types.NewValidatorSet(append(trusted.Copy().Validators,
			types.NewValidator(cmted25519.PubKey(stranger.PublicKey()), trusted.TotalVotingPower())))
		if v, err := service.VerifyBundle(bundle, service.Trust{ChainID: chainID, Validators: left}); err != nil {
			t.Errorf("trusting a validator that left: %v", err)
		} else if v.Verified.SignedPercent != 50 {
			t.Errorf("trusting a validator that left: signed by %.1f%% of the trusted power, want 50%%", v.Verified.SignedPercent)
		}
		for _, c := range []struct {
			name   string
			tamper func(b *service.Bundle)
			trust  service.Trust
		}{
			{"bill", func(b *service.Bundle) { leaf(b, "total").Value = `"1.00"` }, trust},
			{"record", func(b *service.Bundle) { b.Record[len(b.Record)-1] ^= 1 }, trust},
			{"salt", func(b *service.Bundle) { leaf(b, "payer.name").Salt[0] ^= 1 }, trust},
			{"hidden field", func(b *service.Bundle) { leaf(b, "payer.id").Hash[0] ^= 1 }, trust},
			{"height", func(b *service.Bundle) { b.Height-- }, trust},
			{"proof", func(b *service.Bundle) { b.Proof[len(b.Proof)/2] ^= 1 }, trust},
			{"header", func(b *service.Bundle) { b.SignedHeader[len(b.SignedHeader)/3] ^= 1 }, trust},
			{"chain", func(*service.Bundle) {}, service.Trust{ChainID: "other-chain", Validators: trusted}},
			{"self-certified", func(*service.Bundle) {}, service.Trust{ChainID: chainID}},
			{"another network's validators", func(*service.Bundle) {}, service.Trust{ChainID: chainID, Validators: strangers}},
		} {
			tampered, err := service.ParseBundle(data)
			if err != nil {
				t.Fatal(err)
			}
			c.tamper(tampered)
			if _, err := service.VerifyBundle(tampered, c.trust); !errors.Is(err, service.ErrVerification) {
				t.Errorf("tampered %s: %v, want ErrVerification", c.name, err)
			}
		}
	})

	t.Run("reverse", func(t *testing.T) {
		red, err := cashierA.Reverse(ctx, a.ID, "患者退费", nil)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := cashierA.Fetch(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case orig.Record.Status != wire.StatusReversed || orig.Record.ReversedBy != red.ID:
			t.Errorf("original: %s, reversed by %q", orig.Record.Status, orig.Record.ReversedBy)
		case red.Record.Status != wire.StatusIssued || red.Record.RedOf != a.ID || red.Bill.Red == nil:
			t.Errorf("red bill: %s, red of %q", red.Record.Status, red.Record.RedOf)
		case red.Bill.Total != -orig.Bill.Total || red.Bill.Serial != bill.RedSerial(orig.Bill.Serial) || red.Bill.Number == "":
			t.Errorf("red bill: total %s serial %q number %q", red.Bill.Total, red.Bill.Serial, red.Bill.Number)
		}
		if _, err := cashierA.Render(ctx, new(bytes.Buffer), red.ID); err != nil {
			t.Errorf("render red bill: %v", err)
		}
	})

	t.Run("withdraw", func(t *testing.T) {
		if _, err := cashierA.Withdraw(ctx, a.ID, "重复收费", nil); !errors.Is(err, service.ErrBadState) {
			t.Errorf("withdraw a reversed bill: %v", err)
		}
		v, err := cashierB.Withdraw(ctx, b.ID, "录入错误", nil)
		if err != nil || v.Record.Status != wire.StatusWithdrawn {
			t.Fatalf("withdraw an approved bill: %v", err)
		}
	})

	t.Run("forged grant", func(t *testing.T) {
		// cashierA3's grant wraps a key a colleague made, not hospital A's: the desk says so
		// instead of reading with it, and still works (it may submit).
		a3 := w.desk(t, ctx, "cashierA3")
		if err := a3.KeyAlarm(); !errors.Is(err, service.ErrKeyMismatch) {
			t.Errorf("KeyAlarm = %v, want ErrKeyMismatch", err)
		}
		if _, err := a3.Fetch(ctx, a.ID); !errors.Is(err, service.ErrKeyMismatch) {
			t.Errorf("fetch with a forged key: %v, want ErrKeyMismatch", err)
		}
		if err := cashierA.KeyAlarm(); err != nil {
			t.Errorf("an honest grant raises %v", err)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		a1, a2, a3 := w.ids["cashierA"].PublicKey(), w.ids["cashierA2"].PublicKey(), w.ids["cashierA3"].PublicKey()
		// A rotation that leaves members out never comes into use: the attack of rotating
		// to a key only the rotator holds locks nobody out.
		if _, err := cashierA2.RotateOrgKey(ctx, hospitalA, []ed25519.PublicKey{a2}, nil); !errors.Is(err, service.ErrInvalid) {
			t.Errorf("rotation leaving out two members: %v", err)
		}
		if _, err := admin.RotateOrgKey(ctx, hospitalA, []ed25519.PublicKey{a1}, nil); !errors.Is(err, service.ErrWrongRole) {
			t.Errorf("the network admin rotates a hospital's key: %v", err)
		}
		pending, err := cashierA.Submit(ctx, sample(bill.Outpatient, hospitalA, "pending", 3), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cashierA.Fetch(ctx, pending.ID); err != nil {
			t.Errorf("a bill submitted while a rotation is pending: %v", err)
		}
		epoch, err := cashierA.RotateOrgKey(ctx, hospitalA, []ed25519.PublicKey{a1, a2, a3}, nil)
		if err != nil || epoch != 3 {
			t.Fatalf("rotate to every member: epoch %d, %v (epoch 2 was abandoned)", epoch, err)
		}
		after, err := cashierA.Submit(ctx, sample(bill.Outpatient, hospitalA, "after", 3), nil)
		if err != nil || after.Bill == nil {
			t.Fatalf("submit after rotation: %v", err)
		}
		for name, d := range map[string]*service.Desk{"cashierA2": cashierA2, "cashierA3": w.desk(t, ctx, "cashierA3"), "clerk": clerk} {
			if _, err := d.Fetch(ctx, after.ID); err != nil {
				t.Errorf("%s reads the bill sealed after rotation: %v", name, err)
			}
		}
		if _, err := cashierA2.Fetch(ctx, a.ID); err != nil {
			t.Errorf("a member reads an old bill: %v", err)
		}
		if err := cashierA.GrantOrgKey(ctx, a2, nil); !errors.Is(err, service.ErrRefused) {
			t.Errorf("a second grant of the same epoch (grants are never overwritten): %v", err)
		}
	})

	t.Run("batch", func(t *testing.T) {
		bills := []*bill.Bill{
			sample(bill.Outpatient, hospitalA, "batch", 2),
			{OrgCode: hospitalA, Serial: "broken"},
			nil,
			sample(bill.Inpatient, hospitalA, "batch", 7),
		}
		res := cashierA.SubmitBatch(ctx, bills, nil)
		for i, r := range res {
			bad := i == 1 || i == 2
			if r.Index != i || (r.Err != nil) != bad || (r.View == nil) != bad {
				t.Errorf("result %d: %+v", i, r)
			}
		}
	})

	t.Run("segment exhausted", func(t *testing.T) {
		bills := []*bill.Bill{sample(bill.Outpatient, hospitalB, "seg", 1), sample(bill.Outpatient, hospitalB, "seg", 2)}
		var ids []string
		for _, r := range cashierB.SubmitBatch(ctx, bills, nil) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			ids = append(ids, r.ID)
		}
		// The queue also holds the bills of earlier subtests.
		if rep, err := clerk.AutoReview(ctx, nil); err != nil || rep.Approved < 2 || len(rep.Held) != 0 {
			t.Fatalf("auto review: %+v, %v", rep, err)
		}
		if _, err := cashierB.Issue(ctx, ids[0], nil); err != nil {
			t.Fatal(err)
		}
		if _, err := cashierB.Issue(ctx, ids[1], nil); !errors.Is(err, service.ErrSegmentExhausted) {
			t.Errorf("issue past the segment: %v", err)
		}
	})

	t.Run("two desks of one identity", func(t *testing.T) {
		// Both start from the same verified sequence: the ledger refuses one of each pair as
		// a replay, and the desk resynchronises and sends again.
		other := w.desk(t, ctx, "cashierA")
		bills := []*bill.Bill{sample(bill.Outpatient, hospitalA, "twin", 1), sample(bill.Outpatient, hospitalA, "twin", 2)}
		errs := make(chan error, 2)
		for i, d := range []*service.Desk{cashierA, other} {
			go func() {
				_, err := d.Submit(ctx, bills[i], nil)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("network down", func(t *testing.T) {
		nf := w.net.File()
		if err := w.node.Stop(); err != nil {
			t.Fatal(err)
		}
		_, err := service.Connect(ctx, service.Options{Network: nf, Dir: t.TempDir(), Timeout: 2 * time.Second})
		if !errors.Is(err, service.ErrNetworkDown) {
			t.Errorf("connect with every node down: %v", err)
		}
	})
}

func fetchErr(ctx context.Context, d *service.Desk, id string) error {
	_, err := d.Fetch(ctx, id)
	return err
}

func issueErr(ctx context.Context, d *service.Desk, id string) error {
	_, err := d.Issue(ctx, id, nil)
	return err
}

func submitErr(ctx context.Context, d *service.Desk, b *bill.Bill) error {
	_, err := d.Submit(ctx, b, nil)
	return err
}

func approveErr(ctx context.Context, d *service.Desk, id string) error {
	_, err := d.Approve(ctx, id, nil)
	return err
}

// failed names the rules a review failed.
func failed(r *service.Review) string {
	var names []string
	for _, c := range r.Checks {
		if !c.OK {
			names = append(names, c.Rule)
		}
	}
	return strings.Join(names, ",")
}

// leaf is the leaf of b's disclosure at path.
func leaf(b *service.Bundle, path string) *bill.Leaf {
	for i := range b.Bill.Leaves {
		if b.Bill.Leaves[i].Path == path {
			return &b.Bill.Leaves[i]
		}
	}
	panic("no leaf " + path)
}
