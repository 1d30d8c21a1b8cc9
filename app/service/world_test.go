package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/app/ledger"
	"ebill/app/node"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/wallet"
)

// Orgs of the test network: two hospitals under one bureau.
const (
	chainID   = "ebill-service-test"
	hospitalA = "H32010001"
	hospitalB = "H32010002"
	bureau    = "B32010001"
)

// world is a running one-validator network with desks for its people.
type world struct {
	node *node.Node
	net  *service.Network
	ids  map[string]*wallet.Identity // admin, cashierA, cashierA2, cashierA3, cashierB, clerk
	code string                      // the bill code of this year, with segments for both hospitals
}

// newWorld builds the genesis from fresh wallet keys, starts the node in-process and
// connects a light node to it.
func newWorld(tb testing.TB, ctx context.Context) *world {
	tb.Helper()
	w := &world{ids: map[string]*wallet.Identity{}, code: billCode(time.Now())}
	for _, name := range []string{"admin", "cashierA", "cashierA2", "cashierA3", "cashierB", "clerk"} {
		id, err := wallet.NewIdentity(name)
		if err != nil {
			tb.Fatal(err)
		}
		w.ids[name] = id
	}
	keys := map[string]*wallet.OrgKey{}
	// "forged" is a key of a hostile colleague's own, which the grant to cashierA3 wraps.
	for _, org := range []string{hospitalA, hospitalB, bureau, "forged"} {
		k, err := wallet.NewOrgKey()
		if err != nil {
			tb.Fatal(err)
		}
		keys[org] = k
	}
	g := ledger.Genesis{
		Admin: ledger.HexBytes(w.ids["admin"].PublicKey()),
		Orgs: []ledger.GenesisOrg{
			{ID: bureau, Name: "南京市财政局", Kind: wire.OrgBureau, CreditCode: "11320100014000802U", EncKey: keys[bureau].KEMPublic()},
			{ID: hospitalA, Name: "南京市第一人民医院", Kind: wire.OrgHospital, CreditCode: "12320100466002534K", Bureau: bureau, EncKey: keys[hospitalA].KEMPublic()},
			{ID: hospitalB, Name: "南京市第二医院", Kind: wire.OrgHospital, CreditCode: "12320100466001234B", Bureau: bureau, EncKey: keys[hospitalB].KEMPublic()},
		},
		Codes: []ledger.GenesisCode{{Code: w.code, Bureau: bureau}},
		Segments: []ledger.GenesisSegment{
			{Org: hospitalA, Code: w.code, Start: 1, End: 1_000_000},
			// One number only, so that the test can use it up.
			{Org: hospitalB, Code: w.code, Start: 1_000_001, End: 1_000_001},
		},
	}
	for _, a := range []struct {
		name string
		role wire.Role
		org  string
	}{
		{"admin", wire.RoleAdmin, bureau}, {"cashierA", wire.RoleCashier, hospitalA},
		{"cashierA2", wire.RoleCashier, hospitalA}, {"cashierA3", wire.RoleCashier, hospitalA},
		{"cashierB", wire.RoleCashier, hospitalB},
		{"clerk", wire.RoleFinance, bureau},
	} {
		p := w.ids[a.name].Public()
		g.Accounts = append(g.Accounts, ledger.GenesisAccount{Pub: ledger.HexBytes(p.SignKey), EncKey: p.KEMKey, Name: a.name, Role: a.role, Org: a.org})
		if a.role == wire.RoleAdmin {
			continue
		}
		key := keys[a.org]
		if a.name == "cashierA3" {
			key = keys["forged"]
		}
		wrapped, err := wallet.Grant(key, p.KEMKey)
		if err != nil {
			tb.Fatal(err)
		}
		g.Grants = append(g.Grants, ledger.GenesisGrant{Org: a.org, Member: ledger.HexBytes(p.SignKey), Wrapped: wrapped})
	}
	dir := tb.TempDir()
	home := filepath.Join(dir, "node")
	if err := node.InitHome(home, chainID, g, node.HomeOptions{}); err != nil {
		tb.Fatal(err)
	}
	n, err := node.Start(ctx, home, node.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	w.node = n
	tb.Cleanup(func() {
		if err := n.Stop(); err != nil {
			tb.Error(err)
		}
	})
	nf, err := n.NetworkFile(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	w.net, err = service.Connect(ctx, service.Options{Network: nf, Dir: filepath.Join(dir, "light")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := w.net.Close(); err != nil {
			tb.Error(err)
		}
	})
	return w
}

// desk opens the desk of one of the world's people.
func (w *world) desk(tb testing.TB, ctx context.Context, name string) *service.Desk {
	tb.Helper()
	d, err := w.net.As(ctx, w.ids[name])
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// billCode is the outpatient bill code of Jiangsu for the year of t, as bill.Sample makes.
func billCode(t time.Time) string {
	return bill.Sample(bill.Outpatient, "x", "x", 1, t).Code
}

// sample is a valid bill of org with a serial unique to this run.
func sample(kind bill.Kind, org, serial string, items int) *bill.Bill {
	return bill.Sample(kind, org, fmt.Sprintf("%s-%d", serial, time.Now().UnixNano()), items, time.Now().Add(-time.Minute))
}
