package ledger_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"ebill/app/wire"
)

// FuzzCheckTx feeds arbitrary bytes to DecodeTx and CheckTx: neither may panic or fail
// with an error, and CheckTx refuses the bytes as DecodeTx does whenever DecodeTx refuses
// them.
func FuzzCheckTx(f *testing.F) {
	n := newNetwork()
	c := newChain(f, "", n.genesis)
	h, org := n.cashiers[0], n.hospitals[0]
	sub := h.submission(org, "fuzz", 100, 64)
	for _, m := range []wire.Msg{
		sub, n.clerk.approval(sub, 1), &wire.Reject{ID: "0123456789abcdef0123456789abcdef", Revision: 1, Reason: sealed("r")},
		&wire.Issue{ID: "0123456789abcdef0123456789abcdef"}, &wire.Withdraw{ID: "0123456789abcdef0123456789abcdef"},
		&wire.Reverse{ID: "0123456789abcdef0123456789abcdef", Reason: sealed("r"), Red: *h.submission(org, "red", -100, 8)},
		&wire.RegisterOrg{ID: "X", Name: "x", Kind: wire.OrgHospital, Bureau: bureau, EncKey: []byte{1}},
		&wire.RegisterAccount{Pub: h.PublicKey(), EncKey: []byte{1}, Name: "n", Role: wire.RoleCashier, Org: org},
		&wire.GrantOrgKey{Org: org, Member: h.PublicKey(), Epoch: 1, Wrapped: []byte{1}},
		&wire.RotateOrgKey{Org: org, Epoch: 2, EncKey: []byte{2}, Grants: []wire.MemberGrant{{Member: h.PublicKey(), Wrapped: []byte{3}}}},
		&wire.AllocateSegment{Org: org, Code: "32060126", Start: 5000, End: 6000},
		&wire.BindCode{Code: "32060127", Bureau: bureau},
	} {
		f.Add(h.tx(f, m))
	}
	f.Add([]byte{})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, decodeErr := wire.DecodeTx(b)
		res, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: b, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil {
			t.Fatalf("CheckTx error: %v", err)
		}
		want, refused := wire.CodeOf(decodeErr)
		if !refused {
			t.Fatalf("DecodeTx error is not a refusal: %v", decodeErr)
		}
		if code := wire.Code(res.Code); decodeErr != nil && code != want || decodeErr == nil && code == wire.CodeMalformed {
			t.Fatalf("CheckTx code %s, DecodeTx error %v", code, decodeErr)
		}
	})
}
