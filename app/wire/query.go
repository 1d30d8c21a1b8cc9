package wire

// Query paths. Height 0 means the latest committed version; any other height H means the
// state after block H, whose root is the app hash in header H+1.
const (
	// QueryKey looks up the raw store key in Data (BillKey, NumberKey, AccountKey, …).
	// The response echoes Key and Height; Value is empty when the key is absent. With
	// Prove it carries exactly one ProofOp of type ProofOpType whose Key is the store key and
	// whose Data is a protobuf ics23.CommitmentProof: existence, or non-existence for an
	// absent key, against the IAVL root.
	QueryKey = "/key"
	// QueryPayload returns the sealed payload whose SHA-256 is Data (32 bytes), a
	// BillRecord's or History's Payload. Unproven and not by height: the payload is kept
	// once, outside the Merkle tree, and whoever asks checks it against the proven hash.
	QueryPayload = "/payload"
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
	// MaxListPageBytes bounds the encoded ListPage: its entries are bill ids, whatever the
	// bills hold, so no member can make a list too large to read.
	MaxListPageBytes = 16 + MaxListLimit*(1+maxID) + 10
)

// ListRequest asks for one page of a list. Cursor is ListPage.Next of the previous page,
// 0 for the first.
type ListRequest struct {
	Org    string
	Status Status // 0: any
	Cursor uint64
	Limit  int // 0 or above MaxListLimit: MaxListLimit
}

// ListPage is one page of a list: the ids of its bills, to be read with a proof, and Next,
// the cursor of the following page, 0 at the end.
type ListPage struct {
	IDs  []string
	Next uint64
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

func DecodeListRequest(b []byte) (ListRequest, error) {
	d := decoder{b: b}
	d.version()
	r := ListRequest{Org: d.string(maxID), Status: Status(d.byte()), Cursor: d.uint(), Limit: int(min(d.uint(), MaxListLimit))}
	if r.Limit == 0 {
		r.Limit = MaxListLimit
	}
	return r, d.end()
}

func (p *ListPage) Encode() []byte {
	var e encoder
	e.byte(recordVersion)
	e.uint(uint64(len(p.IDs)))
	for _, id := range p.IDs {
		e.string(id)
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
		p.IDs = make([]string, n)
	}
	for i := range p.IDs {
		p.IDs[i] = d.string(maxID)
	}
	p.Next = d.uint()
	return p, d.end()
}
