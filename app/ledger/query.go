package ledger

import (
	"bytes"
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"github.com/cosmos/iavl"

	"ebill/app/wire"
)

// Query answers QueryKey, QueryQueue and QueryBills at an explicit or the latest height.
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	a.cmu.RLock()
	defer a.cmu.RUnlock()
	if req.Path == wire.QueryPayload {
		return a.payload(req), nil
	}
	tree, err := a.version(req.Height)
	if err != nil {
		return queryRefused(req, err), nil
	}
	res := &abci.QueryResponse{Height: tree.Version()}
	switch req.Path {
	case wire.QueryKey:
		err = proveKey(tree, req, res)
	case wire.QueryQueue, wire.QueryBills:
		var r wire.ListRequest
		if r, err = wire.DecodeListRequest(req.Data); err != nil {
			err = wire.Refuse(wire.CodeMalformed, "list request: %v", err)
			break
		}
		var page wire.ListPage
		if req.Path == wire.QueryQueue {
			page, err = list(tree, func(n uint64) []byte { return wire.QueueKey(r.Org, n) }, r, true)
		} else {
			page, err = list(tree, func(n uint64) []byte { return wire.OrgBillKey(r.Org, n) }, r, false)
		}
		res.Value = page.Encode()
	default:
		err = wire.Refuse(wire.CodeInvalid, "unknown query path %q", req.Path)
	}
	if err != nil {
		return queryRefused(req, err), nil
	}
	return res, nil
}

// payload answers QueryPayload from the payload store.
func (a *App) payload(req *abci.QueryRequest) *abci.QueryResponse {
	if len(req.Data) != 32 {
		return queryRefused(req, wire.Refuse(wire.CodeMalformed, "payload query: %d bytes, want a 32-byte SHA-256", len(req.Data)))
	}
	v, err := a.payloads.Get(req.Data)
	switch {
	case err != nil:
		return queryRefused(req, wire.Refuse(wire.CodeNotFound, "payload %x: %v", req.Data, err))
	case v == nil:
		return queryRefused(req, wire.Refuse(wire.CodeNotFound, "payload %x is not stored here", req.Data))
	}
	return &abci.QueryResponse{Key: req.Data, Value: v}
}

func queryRefused(req *abci.QueryRequest, err error) *abci.QueryResponse {
	code, ok := wire.CodeOf(err)
	if !ok {
		code = wire.CodeNotFound
	}
	return &abci.QueryResponse{Code: uint32(code), Log: err.Error(), Key: req.Data, Height: req.Height}
}

// version returns the committed tree at height h (0: latest); cmu must be held.
func (a *App) version(h int64) (*iavl.ImmutableTree, error) {
	latest := a.committed
	switch {
	case latest == nil:
		return nil, wire.Refuse(wire.CodeNotFound, "nothing committed yet")
	case h == 0 || h == latest.Version():
		return latest, nil
	case h < 0 || h > latest.Version():
		return nil, wire.Refuse(wire.CodeNotFound, "height %d is not committed; latest is %d", h, latest.Version())
	case a.previous != nil && h == a.previous.Version():
		return a.previous, nil
	}
	t, err := a.tree.GetImmutable(h)
	if err != nil {
		return nil, fmt.Errorf("version %d: %w", h, err)
	}
	return t, nil
}

func proveKey(tree *iavl.ImmutableTree, req *abci.QueryRequest, res *abci.QueryResponse) error {
	if len(req.Data) == 0 {
		return wire.Refuse(wire.CodeInvalid, "empty key")
	}
	value, err := tree.Get(req.Data)
	if err != nil {
		return err
	}
	res.Key, res.Value = req.Data, value
	if value == nil {
		res.Log = "does not exist"
	}
	if !req.Prove {
		return nil
	}
	proof, err := tree.GetProof(req.Data)
	if err != nil {
		return fmt.Errorf("prove %q at %d: %w", req.Data, tree.Version(), err)
	}
	bz, err := proof.Marshal()
	if err != nil {
		return fmt.Errorf("encode proof: %w", err)
	}
	res.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: wire.ProofOpType, Key: req.Data, Data: bz}}}
	return nil
}

// list pages through index keys prefix‖ordinal (values: bill ids), oldest first when
// ascending. It scans a bounded number of entries, so a status filter that matches little
// returns short pages with a cursor rather than walking the whole org.
func list(tree *iavl.ImmutableTree, key func(ordinal uint64) []byte, r wire.ListRequest, ascending bool) (wire.ListPage, error) {
	zero := key(0)
	start, end := zero, prefixEnd(zero[:len(zero)-8])
	if r.Cursor != 0 {
		if ascending {
			start = key(r.Cursor + 1)
		} else {
			end = key(r.Cursor)
		}
	}
	var page wire.ListPage
	var err error
	budget := 8*r.Limit + 64
	tree.IterateRange(start, end, ascending, func(k, v []byte) bool {
		var b wire.BillRecord
		raw, gerr := tree.Get(wire.BillKey(string(v)))
		if gerr == nil {
			b, gerr = wire.DecodeBillRecord(raw)
		}
		if gerr != nil {
			err = fmt.Errorf("list entry %q: %w", k, gerr)
			return true
		}
		if r.Status == 0 || b.Status == r.Status {
			page.IDs = append(page.IDs, b.ID)
		}
		budget--
		page.Next = beUint64(k[len(k)-8:])
		if len(page.IDs) == r.Limit || budget == 0 {
			return true
		}
		page.Next = 0 // reached the end unless stopped above
		return false
	})
	return page, err
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// prefixEnd is the first key after every key with this prefix (prefixes here end in '/').
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	end[len(end)-1]++
	return end
}
