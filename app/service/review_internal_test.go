package service

import (
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/app/wire"
)

// A bill whose decrypted content differs from its ledger record, or whose printed payee is
// not the org the ledger registered, fails review: a hostile hospital client that seals one
// bill and records another, or prints another hospital's name, is held for a clerk.
func TestReviewBindsRecordAndPayee(t *testing.T) {
	created := time.Now().Add(-time.Hour).Truncate(time.Minute)
	org := wire.Org{ID: "H32010001", Name: "南京市第一人民医院", CreditCode: "12320100466002534K", Kind: wire.OrgHospital}
	good := func() (*bill.Bill, wire.BillRecord) {
		b := bill.Sample(bill.Outpatient, org.ID, "MZ-1", 3, created)
		b.Payee = bill.Payee{Name: org.Name, CreditCode: org.CreditCode}
		rec := wire.BillRecord{ID: bill.ID(b.OrgCode, b.Serial), Kind: b.Kind, Org: b.OrgCode, Serial: b.Serial, Code: b.Code,
			Total: b.Total, Created: b.CreatedAt,
			Events: []wire.Event{{Type: wire.EventSubmitted, Time: created.Add(time.Minute)}}}
		return b, rec
	}
	for _, tc := range []struct {
		name   string
		change func(*bill.Bill, *wire.BillRecord)
		rule   string
	}{
		{"record's code", func(_ *bill.Bill, r *wire.BillRecord) { r.Code = "32060199" }, "matches_record"},
		{"record's total", func(_ *bill.Bill, r *wire.BillRecord) { r.Total = 1 }, "matches_record"},
		{"record's kind", func(_ *bill.Bill, r *wire.BillRecord) { r.Kind = bill.Inpatient }, "matches_record"},
		{"record's org", func(_ *bill.Bill, r *wire.BillRecord) { r.Org = "H32010002" }, "matches_record"},
		{"payee name", func(b *bill.Bill, _ *wire.BillRecord) { b.Payee.Name = "南京市第二医院" }, "payee"},
		{"payee credit code", func(b *bill.Bill, _ *wire.BillRecord) { b.Payee.CreditCode = "12320100466001234B" }, "payee"},
	} {
		b, rec := good()
		tc.change(b, &rec)
		d := &Desk{seen: map[[32]byte]string{}, net: &Network{}}
		r := d.review(&View{ID: rec.ID, Bill: &bill.Issued{Bill: *b}, Record: rec}, org)
		failed := false
		for _, c := range r.Checks {
			if c.Rule == tc.rule {
				failed = !c.OK
			}
			if c.Rule != tc.rule && c.Rule != "signature" && !c.OK {
				t.Errorf("%s changed: rule %s fails too: %s", tc.name, c.Rule, c.EN)
			}
		}
		if !failed {
			t.Errorf("%s changed: no failing rule %s", tc.name, tc.rule)
		}
	}
	b, rec := good()
	d := &Desk{seen: map[[32]byte]string{}, net: &Network{}}
	for _, c := range d.review(&View{ID: rec.ID, Bill: &bill.Issued{Bill: *b}, Record: rec}, org).Checks {
		if !c.OK && c.Rule != "signature" {
			t.Errorf("a consistent bill fails %s: %s", c.Rule, c.EN)
		}
	}
}
