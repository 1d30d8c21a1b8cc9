package ledger_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"ebill/app/ledger"
	"ebill/app/wire"
)

func (c *chain) org(id string) wire.Org {
	c.t.Helper()
	o, err := wire.DecodeOrg(c.get(wire.OrgKey(id), 0))
	if err != nil {
		c.t.Fatalf("org %s: %v", id, err)
	}
	return o
}

// code finalizes tx alone in a block and returns its result code and log.
func (c *chain) code(tx []byte) (wire.Code, string) {
	c.t.Helper()
	r := c.finalize(tx)[0]
	return wire.Code(r.Code), r.Log
}

func wantCode(t *testing.T, what string, got wire.Code, log string, want wire.Code) {
	t.Helper()
	if got != want {
		t.Errorf("%s: code %s (%s), want %s", what, got, log, want)
	}
}

// Attack: a member holding a grant overwrites a colleague's grant with garbage, so that
// colleague's desk can no longer open the org's bills. Grants are append-only: nobody, the
// original granter included, can replace one.
func TestGrantsAppendOnly(t *testing.T) {
	n := newNetwork()
	c := newChain(t, "", n.genesis)
	c.ok()
	clerkGrant := c.get(wire.GrantKey(bureau, n.clerk.PublicKey(), 1), 0)
	// The clerk hands the key on to a colleague and to the auditor: both legitimate.
	c.ok(n.clerk.tx(t, &wire.GrantOrgKey{Org: bureau, Member: n.clerk2.PublicKey(), Epoch: 1, Wrapped: []byte("for clerk2")}),
		n.clerk.tx(t, &wire.GrantOrgKey{Org: bureau, Member: n.auditor.PublicKey(), Epoch: 1, Wrapped: []byte("for auditor")}))
	for _, tc := range []struct {
		name string
		by   *actor
		want wire.Code
	}{
		{"colleague overwrites", n.clerk2, wire.CodeExists},
		{"auditor overwrites", n.auditor, wire.CodeWrongRole},
		{"granter overwrites its own grant", n.clerk, wire.CodeExists},
	} {
		member := n.clerk.PublicKey()
		if tc.by == n.clerk {
			member = n.clerk2.PublicKey()
		}
		tx := tc.by.tx(t, &wire.GrantOrgKey{Org: bureau, Member: member, Epoch: 1, Wrapped: []byte("garbage")})
		if tc.want == wire.CodeWrongRole {
			if r := c.checkTx(tx); wire.Code(r.Code) != tc.want {
				t.Errorf("%s: CheckTx code %s, want %s", tc.name, wire.Code(r.Code), tc.want)
			}
		}
		got, log := c.code(tx)
		wantCode(t, tc.name, got, log, tc.want)
	}
	if g := c.get(wire.GrantKey(bureau, n.clerk.PublicKey(), 1), 0); !bytes.Equal(g, clerkGrant) {
		t.Error("the clerk's grant changed")
	}
	if g, _ := wire.DecodeGrant(c.get(wire.GrantKey(bureau, n.clerk2.PublicKey(), 1), 0)); string(g.Wrapped) != "for clerk2" {
		t.Errorf("clerk2's grant is %q", g.Wrapped)
	}
}

// Attack: a member rotates the org key to a key only they hold, locking everyone else out
// of new bills. A rotation comes into use only once every reading member has a grant of
// the new epoch; it may take several transactions; only key-administering roles rotate.
func TestRotationReachesEveryMember(t *testing.T) {
	n := newNetwork()
	c := newChain(t, "", n.genesis)
	c.ok()
	before := c.org(bureau)
	if before.Members != 3 {
		t.Fatalf("bureau has %d reading members, want 3 (two clerks and the auditor)", before.Members)
	}
	grant := func(a *actor) wire.MemberGrant {
		return wire.MemberGrant{Member: a.PublicKey(), Wrapped: []byte("epoch 2 for " + a.name)}
	}
	// The clerk rotates to a key granted to itself alone: recorded, not in use.
	c.ok(n.clerk.tx(t, &wire.RotateOrgKey{Org: bureau, Epoch: 2, EncKey: []byte("k2"), Grants: []wire.MemberGrant{grant(n.clerk)}}))
	if o := c.org(bureau); o.KeyEpoch != 1 || !bytes.Equal(o.EncKey, before.EncKey) {
		t.Fatalf("after a rotation reaching 1 of 3 members the org is at epoch %d key %q", o.KeyEpoch, o.EncKey)
	}
	for _, tc := range []struct {
		name string
		by   *actor
		msg  *wire.RotateOrgKey
		want wire.Code
	}{
		{"auditor rotates", n.auditor, &wire.RotateOrgKey{Org: bureau, Epoch: 3, EncKey: []byte("mine"), Grants: []wire.MemberGrant{grant(n.auditor)}}, wire.CodeWrongRole},
		{"cashier rotates another org", n.cashiers[0], &wire.RotateOrgKey{Org: bureau, Epoch: 3, EncKey: []byte("mine"), Grants: []wire.MemberGrant{grant(n.clerk)}}, wire.CodeWrongOrg},
		{"continuation with another key", n.clerk, &wire.RotateOrgKey{Org: bureau, Epoch: 2, EncKey: []byte("other"), Grants: []wire.MemberGrant{grant(n.clerk2)}}, wire.CodeBadEpoch},
		{"a grant given twice", n.clerk, &wire.RotateOrgKey{Org: bureau, Epoch: 2, EncKey: []byte("k2"), Grants: []wire.MemberGrant{grant(n.clerk)}}, wire.CodeExists},
		{"skipped epoch", n.clerk, &wire.RotateOrgKey{Org: bureau, Epoch: 4, EncKey: []byte("k4"), Grants: []wire.MemberGrant{grant(n.clerk)}}, wire.CodeBadEpoch},
		{"grant of a pending epoch", n.clerk, nil, wire.CodeBadEpoch},
	} {
		var tx []byte
		if tc.msg == nil {
			tx = tc.by.tx(t, &wire.GrantOrgKey{Org: bureau, Member: n.clerk2.PublicKey(), Epoch: 2, Wrapped: []byte("w")})
		} else {
			tx = tc.by.tx(t, tc.msg)
		}
		got, log := c.code(tx)
		wantCode(t, tc.name, got, log, tc.want)
	}
	// A second transaction completes it: the new key is in use.
	c.ok(n.clerk.tx(t, &wire.RotateOrgKey{Org: bureau, Epoch: 2, EncKey: []byte("k2"), Grants: []wire.MemberGrant{grant(n.clerk2), grant(n.auditor)}}))
	if o := c.org(bureau); o.KeyEpoch != 2 || string(o.EncKey) != "k2" {
		t.Fatalf("after the rotation reached every member the org is at epoch %d key %q", o.KeyEpoch, o.EncKey)
	}
	e, err := wire.DecodeEpoch(c.get(wire.EpochKey(bureau, 2), 0))
	if err != nil || string(e.EncKey) != "k2" || e.Granted != 3 || !e.Complete {
		t.Errorf("epoch 2 record %+v, %v", e, err)
	}
	// A member registered later must be in the next rotation too.
	late := newActor("late clerk")
	c.ok(n.admin.tx(t, &wire.RegisterAccount{Pub: late.PublicKey(), EncKey: []byte("e"), Name: "孙复核", Role: wire.RoleFinance, Org: bureau}))
	c.ok(n.clerk.tx(t, &wire.RotateOrgKey{Org: bureau, Epoch: 3, EncKey: []byte("k3"), Grants: []wire.MemberGrant{grant(n.clerk), grant(n.clerk2), grant(n.auditor)}}))
	if o := c.org(bureau); o.KeyEpoch != 2 || o.Members != 4 {
		t.Errorf("a rotation that left out the new member came into use: epoch %d, %d members", o.KeyEpoch, o.Members)
	}
}

// Attack: a clerk of one bureau allocates a bill code up to its maximum and so blocks every
// other bureau from it. Codes are bound to bureaus by the network admin; a clerk allocates
// only codes bound to its own bureau.
func TestCodesBoundToBureaus(t *testing.T) {
	n := newNetwork()
	c := newChain(t, "", n.genesis)
	c.ok()
	clerkB2 := newActor("clerk B2")
	c.ok(n.admin.tx(t, &wire.RegisterOrg{ID: "B2", Name: "苏州市财政局", Kind: wire.OrgBureau, EncKey: []byte("k")}))
	c.ok(n.admin.tx(t, &wire.RegisterOrg{ID: "H-B2", Name: "苏州市立医院", Kind: wire.OrgHospital, Bureau: "B2", EncKey: []byte("k")}),
		n.admin.tx(t, &wire.RegisterAccount{Pub: clerkB2.PublicKey(), EncKey: []byte("e"), Name: "周复核", Role: wire.RoleFinance, Org: "B2"}))
	for _, tc := range []struct {
		name string
		by   *actor
		msg  wire.Msg
		want wire.Code
	}{
		{"another bureau's code to its maximum", clerkB2, &wire.AllocateSegment{Org: "H-B2", Code: "32060126", Start: 9_000_000_000, End: wire.MaxNumber}, wire.CodeWrongOrg},
		{"an unbound code", clerkB2, &wire.AllocateSegment{Org: "H-B2", Code: "32050127", Start: 1, End: wire.MaxNumber}, wire.CodeNotFound},
		{"a clerk binds a code", clerkB2, &wire.BindCode{Code: "32050127", Bureau: "B2"}, wire.CodeWrongRole},
		{"the admin binds a code to a hospital", n.admin, &wire.BindCode{Code: "32050127", Bureau: "H-B2"}, wire.CodeInvalid},
		{"the admin rebinds a bound code", n.admin, &wire.BindCode{Code: "32060126", Bureau: "B2"}, wire.CodeExists},
	} {
		got, log := c.code(tc.by.tx(t, tc.msg))
		wantCode(t, tc.name, got, log, tc.want)
	}
	// Same region digits, next year's code, bound to the second bureau: its clerk allocates
	// it, the first bureau's clerk does not.
	c.ok(n.admin.tx(t, &wire.BindCode{Code: "32060127", Bureau: "B2"}))
	c.ok(clerkB2.tx(t, &wire.AllocateSegment{Org: "H-B2", Code: "32060127", Start: 1, End: 1000}))
	got, log := c.code(n.clerk.tx(t, &wire.AllocateSegment{Org: n.hospitals[0], Code: "32060127", Start: 1001, End: 2000}))
	wantCode(t, "a clerk allocates another bureau's code for its own hospital", got, log, wire.CodeWrongOrg)
	c.ok(n.clerk.tx(t, &wire.AllocateSegment{Org: n.hospitals[0], Code: "32060126", Start: 5001, End: 6000}))
}

// Attack: the network admin rewrites a cashier's keys, role or org in place, taking over
// the account (and its history) or moving it into another org. Accounts are registered
// once; the admin's powers stop there.
func TestAdminCannotRewriteAccounts(t *testing.T) {
	n := newNetwork()
	c := newChain(t, "", n.genesis)
	c.ok()
	h := n.cashiers[0]
	before := c.get(wire.AccountKey(h.PublicKey()), 0)
	for _, tc := range []struct {
		name string
		msg  *wire.RegisterAccount
		want wire.Code
	}{
		{"new encryption key", &wire.RegisterAccount{Pub: h.PublicKey(), EncKey: []byte("admin's"), Name: "王收费", Role: wire.RoleCashier, Org: n.hospitals[0]}, wire.CodeExists},
		{"new role and org", &wire.RegisterAccount{Pub: h.PublicKey(), EncKey: []byte("e"), Name: "王收费", Role: wire.RoleFinance, Org: bureau}, wire.CodeExists},
		{"the admin itself", &wire.RegisterAccount{Pub: n.admin.PublicKey(), EncKey: []byte("e"), Name: "admin", Role: wire.RoleCashier, Org: n.hospitals[0]}, wire.CodeExists},
		{"a second admin", &wire.RegisterAccount{Pub: newActor("admin2").PublicKey(), EncKey: []byte("e"), Name: "admin2", Role: wire.RoleAdmin, Org: bureau}, wire.CodeInvalid},
	} {
		got, log := c.code(n.admin.tx(t, tc.msg))
		wantCode(t, tc.name, got, log, tc.want)
	}
	if !bytes.Equal(c.get(wire.AccountKey(h.PublicKey()), 0), before) {
		t.Error("the cashier's account changed")
	}
}

// Attack: an auditor fills blocks with 48 KB transactions about bills that do not exist;
// today they pass CheckTx (not_found is left to the block). A role that may never send a
// message is refused in CheckTx.
func TestAuthorityInCheckTx(t *testing.T) {
	n := newNetwork()
	c := newChain(t, "", n.genesis)
	c.ok()
	big := n.auditor.submission(n.hospitals[0], "fat", 100, 40<<10)
	for _, tc := range []struct {
		name string
		by   *actor
		msg  wire.Msg
	}{
		{"auditor submits 40 KB", n.auditor, big},
		{"auditor issues a bill that does not exist", n.auditor, &wire.Issue{ID: "00000000000000000000000000000000"}},
		{"auditor approves", n.auditor, n.auditor.approval(big, 1)},
		{"auditor allocates", n.auditor, &wire.AllocateSegment{Org: n.hospitals[0], Code: "32060126", Start: 90001, End: 90002}},
		{"cashier binds a code", n.cashiers[0], &wire.BindCode{Code: "32060127", Bureau: bureau}},
		{"clerk withdraws", n.clerk, &wire.Withdraw{ID: "00000000000000000000000000000000"}},
		{"admin grants", n.admin, &wire.GrantOrgKey{Org: bureau, Member: n.clerk2.PublicKey(), Epoch: 1, Wrapped: []byte("w")}},
	} {
		if r := c.checkTx(tc.by.tx(t, tc.msg)); wire.Code(r.Code) != wire.CodeWrongRole {
			t.Errorf("%s: CheckTx code %s (%s), want wrong_role", tc.name, wire.Code(r.Code), r.Log)
		}
	}
}

// Attack: one signer fills the mempool. CheckTx admits at most the quota of a signer's
// transactions not yet in a committed block; the block that commits them frees the quota,
// and other signers are never affected.
func TestMempoolQuota(t *testing.T) {
	n := newNetwork()
	c := newChainOpts(t, "", n.genesis, ledger.Options{MaxPendingPerSigner: 4})
	c.ok()
	h, org := n.cashiers[0], n.hospitals[0]
	var txs [][]byte
	for i := range 5 {
		txs = append(txs, h.tx(t, h.submission(org, string(rune('a'+i)), 1, 16)))
	}
	for i, tx := range txs {
		want := wire.CodeOK
		if i == 4 {
			want = wire.CodeMempoolQuota
		}
		if r := c.checkTx(tx); wire.Code(r.Code) != want {
			t.Errorf("tx %d: CheckTx code %s (%s), want %s", i, wire.Code(r.Code), r.Log, want)
		}
	}
	// The same tx again (a gossip repeat) is not counted twice.
	if r := c.checkTx(txs[0]); r.Code != 0 {
		t.Errorf("a repeat of a pending tx: code %s (%s)", wire.Code(r.Code), r.Log)
	}
	other := n.cashiers[1]
	if r := c.checkTx(other.tx(t, other.submission(n.hospitals[1], "x", 1, 16))); r.Code != 0 {
		t.Errorf("another signer: code %s (%s)", wire.Code(r.Code), r.Log)
	}
	c.finalize(txs[:2]...)
	if r := c.checkTx(txs[4]); r.Code != 0 {
		t.Errorf("after a block committed two: code %s (%s)", wire.Code(r.Code), r.Log)
	}
	// Pending now: txs 2, 3, 4. A twin of tx 2 (same sequence, other content) fills the
	// quota; the block commits tx 2, and the recheck evicts its twin: two places free.
	h.seq = 2
	twin := h.tx(t, h.submission(org, "twin", 1, 16))
	if r := c.checkTx(twin); r.Code != 0 {
		t.Fatalf("twin: code %s (%s)", wire.Code(r.Code), r.Log)
	}
	h.seq = 100
	spares := [][]byte{h.tx(t, h.submission(org, "s1", 1, 16)), h.tx(t, h.submission(org, "s2", 1, 16)), h.tx(t, h.submission(org, "s3", 1, 16))}
	if r := c.checkTx(spares[0]); wire.Code(r.Code) != wire.CodeMempoolQuota {
		t.Errorf("quota full again: code %s (%s)", wire.Code(r.Code), r.Log)
	}
	c.finalize(txs[2])
	res, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: twin, Type: abci.CHECK_TX_TYPE_RECHECK})
	if err != nil || wire.Code(res.Code) != wire.CodeReplay {
		t.Fatalf("recheck of the twin of a committed tx: %v %v", res, err)
	}
	for i, tx := range spares {
		want := wire.CodeOK
		if i == 2 {
			want = wire.CodeMempoolQuota
		}
		if r := c.checkTx(tx); wire.Code(r.Code) != want {
			t.Errorf("spare %d after a block and a recheck: code %s (%s), want %s", i, wire.Code(r.Code), r.Log, want)
		}
	}
}

// The ledger keeps a bill's creation time to the minute: a submission to the second or the
// nanosecond is refused before it is signed.
func TestCreatedToTheMinute(t *testing.T) {
	n := newNetwork()
	h, org := n.cashiers[0], n.hospitals[0]
	m := h.submission(org, "precise", 1, 16)
	m.Created = m.Created.Add(1500 * time.Millisecond)
	if _, err := wire.NewTx(chainID, h, 1, m); err == nil || !strings.Contains(err.Error(), "whole minutes") {
		t.Errorf("NewTx of a creation time to the millisecond: %v", err)
	}
}
