package node

import (
	"context"
	"fmt"

	"ebill/app/ledger"
	"ebill/app/wire"
	"ebill/wallet"
)

// The demo network: one hospital under one finance bureau, as both the desktop's embedded
// node and `ebillctl demo` start it.
const (
	DemoChainID  = "ebill-demo"
	DemoHospital = "H32010001" // 南京市第一人民医院
	DemoBureau   = "B32010001" // 南京市财政局
	DemoBillCode = "32060126"  // 江苏 · 医疗 · 门诊 · 2026

	DemoAdminName   = "demo-admin"
	DemoCashierName = "demo-cashier"
	DemoClerkName   = "demo-clerk"

	// Credit codes (统一社会信用代码) with valid GB 32100 check characters.
	demoHospitalCredit = "12320100466002534K"
	demoBureauCredit   = "11320100014000802U"
)

// DemoIdentities are the people of the demo network: the IT admin, a cashier of the
// hospital and a finance clerk of the bureau.
type DemoIdentities struct {
	Admin, Cashier, Clerk *wallet.Identity
}

// NewDemoIdentities makes the three demo identities with fresh secrets, named
// DemoAdminName, DemoCashierName and DemoClerkName.
func NewDemoIdentities() (DemoIdentities, error) {
	var ids DemoIdentities
	for _, x := range []struct {
		id   **wallet.Identity
		name string
	}{{&ids.Admin, DemoAdminName}, {&ids.Cashier, DemoCashierName}, {&ids.Clerk, DemoClerkName}} {
		id, err := wallet.NewIdentity(x.name)
		if err != nil {
			return ids, fmt.Errorf("demo identity %q: %w", x.name, err)
		}
		*x.id = id
	}
	return ids, nil
}

// Save stores the three identities; a store that already holds one of the names refuses.
func (ids DemoIdentities) Save(ctx context.Context, store wallet.Store) error {
	for _, id := range []*wallet.Identity{ids.Admin, ids.Cashier, ids.Clerk} {
		if err := store.Save(ctx, id); err != nil {
			return fmt.Errorf("save demo identity %q: %w", id.Name(), err)
		}
	}
	return nil
}

// CreateDemo makes the demo identities, saves them in store and returns them with the
// genesis that registers them.
func CreateDemo(ctx context.Context, store wallet.Store) (DemoIdentities, ledger.Genesis, error) {
	ids, err := NewDemoIdentities()
	if err != nil {
		return ids, ledger.Genesis{}, err
	}
	g, err := DemoGenesis(ids)
	if err != nil {
		return ids, g, err
	}
	return ids, g, ids.Save(ctx, store)
}

// DemoGenesis is the genesis of the demo network for these identities: the hospital and
// the bureau, each with a fresh org key granted to its member, the three accounts, and the
// hospital's number segment 1–10,000,000 of bill code DemoBillCode.
func DemoGenesis(ids DemoIdentities) (ledger.Genesis, error) {
	hospitalKey, err := wallet.NewOrgKey()
	if err != nil {
		return ledger.Genesis{}, fmt.Errorf("demo genesis: %w", err)
	}
	bureauKey, err := wallet.NewOrgKey()
	if err != nil {
		return ledger.Genesis{}, fmt.Errorf("demo genesis: %w", err)
	}
	cashier, clerk := ids.Cashier.Public(), ids.Clerk.Public()
	g := ledger.Genesis{
		Admin: ledger.HexBytes(ids.Admin.PublicKey()),
		Orgs: []ledger.GenesisOrg{
			{ID: DemoBureau, Name: "南京市财政局", Kind: wire.OrgBureau, CreditCode: demoBureauCredit,
				EncKey: bureauKey.KEMPublic()},
			{ID: DemoHospital, Name: "南京市第一人民医院", Kind: wire.OrgHospital, CreditCode: demoHospitalCredit,
				Bureau: DemoBureau, EncKey: hospitalKey.KEMPublic()},
		},
		Accounts: []ledger.GenesisAccount{
			account(ids.Admin.Public(), "张管理", wire.RoleAdmin, DemoBureau),
			account(cashier, "王收费", wire.RoleCashier, DemoHospital),
			account(clerk, "李复核", wire.RoleFinance, DemoBureau),
		},
		Codes:    []ledger.GenesisCode{{Code: DemoBillCode, Bureau: DemoBureau}},
		Segments: []ledger.GenesisSegment{{Org: DemoHospital, Code: DemoBillCode, Start: 1, End: 10_000_000}},
	}
	for _, x := range []struct {
		org    string
		key    *wallet.OrgKey
		member wallet.Public
	}{{DemoHospital, hospitalKey, cashier}, {DemoBureau, bureauKey, clerk}} {
		wrapped, err := wallet.Grant(x.key, x.member.KEMKey)
		if err != nil {
			return ledger.Genesis{}, fmt.Errorf("demo genesis: %w", err)
		}
		g.Grants = append(g.Grants, ledger.GenesisGrant{
			Org: x.org, Member: ledger.HexBytes(x.member.SignKey), Wrapped: wrapped})
	}
	if err := g.Validate(); err != nil {
		return ledger.Genesis{}, fmt.Errorf("demo genesis: %w", err)
	}
	return g, nil
}

func account(p wallet.Public, name string, role wire.Role, org string) ledger.GenesisAccount {
	return ledger.GenesisAccount{Pub: ledger.HexBytes(p.SignKey), EncKey: p.KEMKey, Name: name, Role: role, Org: org}
}
