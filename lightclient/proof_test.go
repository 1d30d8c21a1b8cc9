package lightclient

import (
	"bytes"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"github.com/cometbft/cometbft/types"
	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
)

// iavlFixture is a real IAVL tree at two versions, so that proofs from an older root exist.
type iavlFixture struct {
	tree *iavl.MutableTree
	root map[int64][]byte
}

func newIAVLFixture(t *testing.T) *iavlFixture {
	t.Helper()
	f := &iavlFixture{tree: iavl.NewMutableTree(iavldb.NewMemDB(), 0, true, iavl.NewNopLogger()), root: map[int64][]byte{}}
	for _, version := range []map[string]string{
		{"b/one": "bill one v1", "b/three": "bill three", "a/acct": "account"},
		{"b/one": "bill one v2", "b/five": "bill five"},
	} {
		for k, v := range version {
			if _, err := f.tree.Set([]byte(k), []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		root, v, err := f.tree.SaveVersion()
		if err != nil {
			t.Fatal(err)
		}
		f.root[v] = root
	}
	return f
}

// answer is what an honest node sends for key at version.
func (f *iavlFixture) answer(t *testing.T, key string, version int64) *abci.QueryResponse {
	t.Helper()
	proof, err := f.tree.GetVersionedProof([]byte(key), version)
	if err != nil {
		t.Fatal(err)
	}
	data, err := proof.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	value, err := f.tree.GetVersioned([]byte(key), version)
	if err != nil {
		t.Fatal(err)
	}
	return &abci.QueryResponse{
		Key: []byte(key), Value: value, Height: version,
		ProofOps: &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: ProofOpIAVL, Key: []byte(key), Data: data}}},
	}
}

func TestVerifyQuery(t *testing.T) {
	const chainID = "ebill-test"
	f := newIAVLFixture(t)
	header := &types.Header{ChainID: chainID, Height: 3, AppHash: f.root[2]}
	if bytes.Equal(f.root[1], f.root[2]) {
		t.Fatal("fixture: both versions have the same root, so an old proof would be valid")
	}

	tests := []struct {
		name   string
		key    string
		answer func() *abci.QueryResponse
		header *types.Header
		want   string // the value; "" for proven absence
		refuse bool
	}{
		{name: "present", key: "b/one", answer: func() *abci.QueryResponse { return f.answer(t, "b/one", 2) }, want: "bill one v2"},
		{name: "absent", key: "b/two", answer: func() *abci.QueryResponse { return f.answer(t, "b/two", 2) }},
		{name: "account", key: "a/acct", answer: func() *abci.QueryResponse { return f.answer(t, "a/acct", 2) }, want: "account"},
		{name: "changed value", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.Value = []byte("bill one v3")
			return r
		}},
		{name: "another key's value and proof", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/three", 2)
			r.Key = []byte("b/one")
			return r
		}},
		{name: "another key's proof under this key", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/three", 2)
			r.Key, r.ProofOps.Ops[0].Key = []byte("b/one"), []byte("b/one")
			return r
		}},
		{name: "another key echoed", key: "b/one", refuse: true, answer: func() *abci.QueryResponse { return f.answer(t, "b/three", 2) }},
		{name: "proof from an older height", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 1)
			r.Height = 2
			return r
		}},
		{name: "older height echoed", key: "b/one", refuse: true, answer: func() *abci.QueryResponse { return f.answer(t, "b/one", 1) }},
		{name: "height in the future", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.Height = 9
			return r
		}},
		{name: "proof ops removed", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.ProofOps = nil
			return r
		}},
		{name: "empty proof ops", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.ProofOps.Ops = nil
			return r
		}},
		{name: "two proof ops", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.ProofOps.Ops = append(r.ProofOps.Ops, r.ProofOps.Ops[0])
			return r
		}},
		{name: "wrong op type", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.ProofOps.Ops[0].Type = "ics23:simple"
			return r
		}},
		{name: "garbage proof", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.ProofOps.Ops[0].Data = []byte("not a proof")
			return r
		}},
		{name: "absence answer for a present key", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.Value = nil
			return r
		}},
		{name: "absence proof of a neighbour for a present key", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/oneX", 2)
			r.Key, r.ProofOps.Ops[0].Key = []byte("b/one"), []byte("b/one")
			return r
		}},
		{name: "present answer for an absent key", key: "b/two", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/two", 2)
			r.Value = []byte("bill two")
			return r
		}},
		{name: "error code", key: "b/one", refuse: true, answer: func() *abci.QueryResponse {
			r := f.answer(t, "b/one", 2)
			r.Code = 1
			return r
		}},
		{name: "header of another chain", key: "b/one", refuse: true,
			header: &types.Header{ChainID: "other", Height: 3, AppHash: f.root[2]},
			answer: func() *abci.QueryResponse { return f.answer(t, "b/one", 2) }},
		{name: "header of the same height", key: "b/one", refuse: true,
			header: &types.Header{ChainID: chainID, Height: 2, AppHash: f.root[2]},
			answer: func() *abci.QueryResponse { return f.answer(t, "b/one", 2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := header
			if tt.header != nil {
				h = tt.header
			}
			value, found, err := verifyQuery(chainID, []byte(tt.key), 2, h, tt.answer())
			if tt.refuse {
				if !errors.Is(err, ErrVerification) {
					t.Fatalf("accepted (value %q, found %v, err %v), want ErrVerification", value, found, err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(value) != tt.want || found != (tt.want != "") {
				t.Fatalf("got %q found=%v, want %q", value, found, tt.want)
			}
		})
	}
}
