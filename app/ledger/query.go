package ledger

import (
	"bytes"
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"github.com/cosmos/iavl"
)

// Query paths. Height 0 means the latest committed version; any other height H means the
// state after block H, whose root is the app hash in header H+1.
const (
	// QueryKey looks up the raw store key in Data (BillKey, NumberKey, AccountKey, …).
	// The response echoes Key and Height; Value is empty when the key is absent. With
	// Prove it carries exactly one ProofOp of type ProofOpType whose Key is the store key and
	// whose Data is a protobuf ics23.CommitmentProof: existence, or non-existence for an
	// absent key, against the IAVL root.
	QueryKey = "/key"
	// QueryQueue lists the bills awaiting review at a bureau, oldest first. Data is a
	// ListRequest; Value a ListPage. Unproven: fetch each bill again with QueryKey.
	QueryQueue = "/queue"
	// QueryBills lists an org's bills, newest first, optionally of one status. Data is a
	// ListRequest; Value a ListPage. Unproven.
	QueryBills = "/bills"

	// ProofOpType is the type of the one proof op of a proven QueryKey response.
	ProofOpType = "ics23:iavl"

	// MaxListLimit caps ListRequest.Limit.
	MaxListLimit = 100
)

// ListRequest asks for one page of a list. Cursor is ListPage.Next of the previous page,
// 0 for the first.
type ListRequest struct {
	Org    string
	Status Status // 0: any
	Cursor uint64
	Limit  int // 0 or above MaxListLimit: MaxListLimit
}

// ListPage is one page of a list. Next is the cursor of the following page, 0 at the end.
type ListPage struct {
	Bills []Bill
	Next  uint64
}

// Encode gives the QueryRequest.Data of r.
func (r ListRequest) Encode() []byte {
	var e encoder
	e.byte(recordVersion)
	e.string(r.Org)
	e.byte(byte(r.Status))
	e.uint(r.Cursor)
	e.uint(uint64(max(r.Limit, 0)))
	return e.b
}

func decodeListRequest(b []byte) (ListRequest, error) {
	d := decoder{b: b}
	d.version()
	r := ListRequest{Org: d.string(maxID), Status: Status(d.byte()), Cursor: d.uint(), Limit: int(min(d.uint(), MaxListLimit))}
	if r.Limit == 0 {
		r.Limit = MaxListLimit
	}
	return r, d.end()
}

func (p *ListPage) encode() []byte {
	var e encoder
	e.byte(recordVersion)
	e.uint(uint64(len(p.Bills)))
	for i := range p.Bills {
		e.bytes(p.Bills[i].encode())
	}
	e.uint(p.Next)
	return e.b
}

// DecodeListPage decodes the Value of a list query.
func DecodeListPage(b []byte) (ListPage, error) {
	d := decoder{b: b}
	d.version()
	var p ListPage
	if n := d.count(MaxListLimit); n > 0 {
		p.Bills = make([]Bill, n)
	}
	for i := range p.Bills {
		var err error
		if p.Bills[i], err = DecodeBill(d.bytes(MaxTxSize)); err != nil && d.err == nil {
			d.err = err
		}
	}
	p.Next = d.uint()
	return p, d.end()
}

// Query answers QueryKey, QueryQueue and QueryBills at an explicit or the latest height.
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	a.cmu.RLock()
	defer a.cmu.RUnlock()
	tree, err := a.version(req.Height)
	if err != nil {
		return queryRefused(req, err), nil
	}
	res := &abci.QueryResponse{Height: tree.Version()}
	switch req.Path {
	case QueryKey:
		err = proveKey(tree, req, res)
	case QueryQueue, QueryBills:
		var r ListRequest
		if r, err = decodeListRequest(req.Data); err != nil {
			err = refuse(CodeMalformed, "list request: %v", err)
			break
		}
		var page ListPage
		if req.Path == QueryQueue {
			page, err = list(tree, queueKey(r.Org, 0), r, true)
		} else {
			page, err = list(tree, orgBillKey(r.Org, 0), r, false)
		}
		res.Value = page.encode()
	default:
		err = refuse(CodeInvalid, "unknown query path %q", req.Path)
	}
	if err != nil {
		return queryRefused(req, err), nil
	}
	return res, nil
}

func queryRefused(req *abci.QueryRequest, err error) *abci.QueryResponse {
	code, ok := CodeOf(err)
	if !ok {
		code = CodeNotFound
	}
	return &abci.QueryResponse{Code: uint32(code), Log: err.Error(), Key: req.Data, Height: req.Height}
}

// version returns the committed tree at height h (0: latest); cmu must be held.
func (a *App) version(h int64) (*iavl.ImmutableTree, error) {
	latest := a.committed
	switch {
	case latest == nil:
		return nil, refuse(CodeNotFound, "nothing committed yet")
	case h == 0 || h == latest.Version():
		return latest, nil
	case h < 0 || h > latest.Version():
		return nil, refuse(CodeNotFound, "height %d is not committed; latest is %d", h, latest.Version())
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
		return refuse(CodeInvalid, "empty key")
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
	res.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: req.Data, Data: bz}}}
	return nil
}

// list pages through index keys prefix‖ordinal (values: bill ids), oldest first when
// ascending. It scans a bounded number of entries, so a status filter that matches little
// returns short pages with a cursor rather than walking the whole org.
func list(tree *iavl.ImmutableTree, zero []byte, r ListRequest, ascending bool) (ListPage, error) {
	prefix := zero[:len(zero)-8]
	start, end := zero, prefixEnd(prefix)
	if r.Cursor != 0 {
		if ascending {
			start = append(bytes.Clone(prefix), be64(r.Cursor+1)...)
		} else {
			end = append(bytes.Clone(prefix), be64(r.Cursor)...)
		}
	}
	var page ListPage
	var err error
	budget := 8*r.Limit + 64
	tree.IterateRange(start, end, ascending, func(k, v []byte) bool {
		var b Bill
		raw, gerr := tree.Get(BillKey(string(v)))
		if gerr == nil {
			b, gerr = DecodeBill(raw)
		}
		if gerr != nil {
			err = fmt.Errorf("list entry %q: %w", k, gerr)
			return true
		}
		if r.Status == 0 || b.Status == r.Status {
			page.Bills = append(page.Bills, b)
		}
		budget--
		page.Next = beUint64(k[len(k)-8:])
		if len(page.Bills) == r.Limit || budget == 0 {
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
