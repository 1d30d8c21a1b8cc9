package node_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/wire"
	"ebill/wallet"
)

func TestDemoGenesis(t *testing.T) {
	store := wallet.NewMemoryStore()
	ids, g, err := node.CreateDemo(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.List(context.Background())
	if err != nil || len(names) != 3 || names[0] != node.DemoAdminName || names[1] != node.DemoCashierName || names[2] != node.DemoClerkName {
		t.Fatalf("store holds %v (%v), want the three demo identities", names, err)
	}
	if _, _, err := node.CreateDemo(context.Background(), store); err == nil {
		t.Error("demo identities created twice in one store")
	}

	// The credit codes must pass the bill domain's GB 32100 check, as a payee's would.
	for _, o := range g.Orgs {
		b := bill.Sample(bill.Outpatient, node.DemoHospital, "S1", 3, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		b.Payee.CreditCode = o.CreditCode
		if err := b.Validate(); err != nil {
			t.Errorf("org %s credit code %q: %v", o.ID, o.CreditCode, err)
		}
	}

	// Each grant opens with its member's identity and yields the org's published key.
	orgKey := map[string][]byte{}
	for _, o := range g.Orgs {
		orgKey[o.ID] = o.EncKey
	}
	members := map[string]*wallet.Identity{node.DemoHospital: ids.Cashier, node.DemoBureau: ids.Clerk}
	for _, gr := range g.Grants {
		m := members[gr.Org]
		if m == nil || !bytes.Equal(gr.Member, m.PublicKey()) {
			t.Fatalf("grant of %s to %x: not the demo member", gr.Org, gr.Member)
		}
		k, err := m.Unwrap(gr.Wrapped)
		if err != nil {
			t.Fatalf("grant of %s: %v", gr.Org, err)
		}
		if !bytes.Equal(k.KEMPublic(), orgKey[gr.Org]) {
			t.Errorf("grant of %s unwraps to another key than the org's", gr.Org)
		}
	}
	if len(g.Grants) != 2 {
		t.Errorf("%d grants, want one per org", len(g.Grants))
	}
	roles := map[wire.Role]string{}
	for _, a := range g.Accounts {
		roles[a.Role] = a.Org
	}
	if roles[wire.RoleCashier] != node.DemoHospital || roles[wire.RoleFinance] != node.DemoBureau || !bytes.Equal(g.Admin, ids.Admin.PublicKey()) {
		t.Errorf("accounts %+v, admin %x", g.Accounts, g.Admin)
	}
	if len(g.Segments) != 1 || g.Segments[0].Code != node.DemoBillCode || g.Segments[0].Start != 1 || g.Segments[0].End != 10_000_000 {
		t.Errorf("segments %+v", g.Segments)
	}
}
