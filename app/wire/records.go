package wire

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"ebill/app/bill"
)

// Limits on fields. They bound what a signer can make every validator store, and let
// decoders refuse forged lengths before allocating.
const (
	MaxTxSize  = 64 << 10 // bytes of one transaction
	MaxPayload = 48 << 10 // bytes of one encrypted bill payload
	maxID      = 32       // org id
	maxName    = 128
	// MaxReason is the most bytes of text in a reason, which a desk seals for the bill's
	// orgs: sealed, it takes MaxReason+28 (nonce and tag, wallet.NoteOverhead). It is the
	// bill's own limit, so a reason that passes bill validation is never refused here.
	MaxReason    = bill.MaxReasonBytes
	maxText      = 512 // public notes of events
	sealOverhead = 28
	maxSealed    = MaxReason + sealOverhead
	maxSerial    = 64
	maxKey       = 4096 // HPKE public keys and wrapped org keys
	// MaxCreatedAhead is how far a bill's creation time may be ahead of the block that
	// records it: a desk's clock may run a little fast, a bill dated next year is refused.
	MaxCreatedAhead = time.Hour
	// MaxRevisions bounds how often one bill is resubmitted, and so its stored history.
	MaxRevisions = 16
	// MaxRevisionEvents bounds the events of one revision, which the record holds: the
	// bill's life gives at most four (submitted, approved or rejected, issued or withdrawn,
	// reversed); the rest is room for later transitions.
	MaxRevisionEvents = 16
	maxGrants         = 256
	recordVersion     = 2 // protocol v2
)

// Role is what an account may do on the ledger.
type Role uint8

const (
	RoleAdmin   Role = 1 // registers orgs and accounts; from genesis
	RoleFinance Role = 2 // a clerk of a finance bureau: reviews bills, allocates segments
	RoleCashier Role = 3 // a hospital cashier: submits, issues and reverses bills
	RoleAuditor Role = 4 // reads only
)

// readsBills reports whether accounts of role r read their org's bills, and so hold its key
// and must be reached by every rotation. The admin's account may name an org but never
// holds its key.
func ReadsBills(r Role) bool { return r == RoleFinance || r == RoleCashier || r == RoleAuditor }

// OrgKind says whether an org issues bills or supervises those that do.
type OrgKind uint8

const (
	OrgHospital OrgKind = 1
	OrgBureau   OrgKind = 2
)

// Status is where a bill is in its life.
type Status uint8

const (
	StatusSubmitted Status = 1 // awaiting the bureau's review (待审核)
	StatusApproved  Status = 2 // countersigned, may be issued (已审核)
	StatusRejected  Status = 3 // refused with a reason; may be resubmitted (已退回)
	StatusWithdrawn Status = 4 // taken back by the hospital before issue (已撤回)
	StatusIssued    Status = 5 // has its number and check code (已开具)
	StatusReversed  Status = 6 // an issued bill cancelled by a red bill (已冲红)
)

// EventType is the kind of a transition in a bill's timeline.
type EventType uint8

const (
	EventSubmitted   EventType = 1
	EventResubmitted EventType = 2
	EventWithdrawn   EventType = 3
	EventApproved    EventType = 4
	EventRejected    EventType = 5
	EventIssued      EventType = 6
	EventReversed    EventType = 7 // on the original, naming the red bill
	EventRedIssued   EventType = 8 // on the red bill, naming the original
)

var (
	roleNames   = []string{"", "admin", "finance", "cashier", "auditor"}
	kindNames   = []string{"", "hospital", "bureau"}
	statusNames = []string{"", "submitted", "approved", "rejected", "withdrawn", "issued", "reversed"}
	eventNames  = []string{"", "submitted", "resubmitted", "withdrawn", "approved", "rejected", "issued", "reversed", "red_issued"}
)

func enumName(names []string, v uint8) string {
	if v != 0 && int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("unknown(%d)", v)
}

func enumParse(names []string, what string, s []byte) (uint8, error) {
	for i, n := range names {
		if i > 0 && n == string(s) {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q", what, s)
}

func enumValid(names []string, v uint8) bool { return v != 0 && int(v) < len(names) }

func (r Role) String() string                    { return enumName(roleNames, uint8(r)) }
func (r Role) MarshalText() ([]byte, error)      { return []byte(r.String()), nil }
func (k OrgKind) String() string                 { return enumName(kindNames, uint8(k)) }
func (k OrgKind) MarshalText() ([]byte, error)   { return []byte(k.String()), nil }
func (s Status) String() string                  { return enumName(statusNames, uint8(s)) }
func (s Status) MarshalText() ([]byte, error)    { return []byte(s.String()), nil }
func (t EventType) String() string               { return enumName(eventNames, uint8(t)) }
func (t EventType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (r *Role) UnmarshalText(b []byte) error {
	v, err := enumParse(roleNames, "role", b)
	*r = Role(v)
	return err
}

func (k *OrgKind) UnmarshalText(b []byte) error {
	v, err := enumParse(kindNames, "org kind", b)
	*k = OrgKind(v)
	return err
}

func (s *Status) UnmarshalText(b []byte) error {
	v, err := enumParse(statusNames, "status", b)
	*s = Status(v)
	return err
}

// Account is a registered key holder: a person at an org with one role.
type Account struct {
	Pub    ed25519.PublicKey
	EncKey []byte // the holder's HPKE public key, for org key grants
	Name   string
	Role   Role
	Org    string
	// Seq is the highest sequence number this signer has used; Window has bit i set when
	// Seq-i was used too. A sequence is fresh when above Seq, or within 128 below it and
	// unused, so concurrent desks of one signer may land out of order.
	Seq    uint64
	Window [2]uint64
}

// Org is a hospital or a finance bureau.
type Org struct {
	ID         string
	Name       string
	Kind       OrgKind
	CreditCode string // 统一社会信用代码
	Bureau     string // for a hospital: the bureau that reviews its bills
	EncKey     []byte // current HPKE public key of the org
	KeyEpoch   uint32 // the epoch of EncKey; grants of older epochs only open older bills
	NextEpoch  uint32 // the last epoch a rotation started; above KeyEpoch while one is pending
	Members    uint32 // accounts of the org that read its bills: each rotation reaches all
	Bills      uint64 // bills submitted by this hospital (ordinal of its list)
	Queued     uint64 // bills ever queued for review at this bureau (ordinal of its queue)
}

// OrgEpoch is one epoch of an org's key: its public half, and how many members hold a grant
// of it. An epoch is Complete, and its key the org's, once every reading member does; an
// epoch whose rotation was superseded stays incomplete.
type OrgEpoch struct {
	Org      string
	Epoch    uint32
	EncKey   []byte
	Granted  uint32
	Complete bool
	By       ed25519.PublicKey // who started it; none for epoch 1
	Height   int64
}

// CodeBinding says which bureau allocates the numbers of a bill code, and the highest
// number allocated so far (segments of a code only go upwards, so never overlap).
type CodeBinding struct {
	Code   string
	Bureau string
	High   uint64
}

// Grant is the org private key of one epoch wrapped to one member's EncKey.
type Grant struct {
	Org     string
	Member  ed25519.PublicKey
	Epoch   uint32
	Wrapped []byte
	By      ed25519.PublicKey
	Height  int64
}

// Segment is an org's number range (号段) for one bill code. Next is the number the next
// issue receives; the segment is exhausted when Next > End.
type Segment struct {
	Org   string
	Code  string
	Start uint64
	End   uint64
	Next  uint64
}

// BillRecord is the ledger's record of a bill: everything a desk shows without decrypting, the
// signatures, and the timeline. The encrypted payload of each revision is kept apart, once,
// outside the Merkle tree: the record holds its SHA-256 (Payload), QueryPayload returns it.
type BillRecord struct {
	ID     string
	Kind   bill.Kind
	Org    string
	Serial string // the tag of the business serial, as SubmitBill.Serial

	Code       string
	Total      bill.Money // fen; negative on a red bill
	Created    time.Time  // as signed by the cashier, to the minute
	Commitment [32]byte
	Payload    [32]byte // SHA-256 of the current revision's sealed envelope
	Digest     [32]byte // bill.IdentityDigest, computed by the ledger
	Cashier    ed25519.PublicKey
	CashierSig []byte // the cashier's signature over Digest
	Status     Status
	Revision   uint32 // 1 at first submission, +1 per resubmission
	Number     string // 10 digits once issued
	CheckCode  string
	IssuedAt   time.Time // block time of the issue
	RedOf      string    // on a red bill: the id of the bill it reverses
	ReversedBy string    // on a reversed bill: the id of its red bill
	Reviewer   ed25519.PublicKey
	ReviewSig  []byte // the reviewer's countersignature (监制签名) over Digest
	QueueSeq   uint64 // ordinal in the bureau's review queue while submitted
	// Events is the timeline of the current revision. The timelines of earlier revisions
	// were moved, each once and whole, to a History under HistoryKey when the bill was
	// resubmitted, so a record stays bounded and no transition rewrites old history.
	Events []Event
}

// History is the timeline of one earlier revision of a bill, written once when the next
// revision was submitted.
type History struct {
	ID       string
	Revision uint32
	Payload  [32]byte // SHA-256 of the revision's sealed envelope
	Events   []Event
}

// Event is one transition of a bill.
type Event struct {
	Type   EventType
	Height int64
	TxHash [32]byte
	Time   time.Time // block time
	Actor  ed25519.PublicKey
	Note   string // public: the revision, the number, the linked bill
	// Sealed is the reason of a withdrawal, rejection or reversal, sealed for the bill's
	// orgs (see Withdraw).
	Sealed []byte
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (d *decoder) pub() ed25519.PublicKey {
	p := d.fixed(ed25519.PublicKeySize)
	if p == nil {
		return nil
	}
	return ed25519.PublicKey(p)
}

// optPub reads a public key that may be absent (encoded as an empty byte string).
func (d *decoder) optPub() ed25519.PublicKey {
	p := d.bytes(ed25519.PublicKeySize)
	if len(p) == 0 {
		return nil
	}
	if len(p) != ed25519.PublicKeySize {
		d.fail("public key of %d bytes", len(p))
		return nil
	}
	return ed25519.PublicKey(p)
}

func (e *encoder) bool(v bool) {
	if v {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

// bool reads a flag written as exactly 0 or 1, so each value has one encoding.
func (d *decoder) bool() bool {
	switch v := d.byte(); v {
	case 0, 1:
		return v == 1
	default:
		d.fail("flag %d", v)
		return false
	}
}

func (d *decoder) version() {
	if v := d.byte(); d.err == nil && v != recordVersion {
		d.fail("record version %d", v)
	}
}

func (a *Account) Encode() []byte {
	e := encoder{b: make([]byte, 0, 64+len(a.EncKey)+len(a.Name))}
	e.byte(recordVersion)
	e.fixed(a.Pub)
	e.bytes(a.EncKey)
	e.string(a.Name)
	e.byte(byte(a.Role))
	e.string(a.Org)
	e.uint(a.Seq)
	e.uint(a.Window[0])
	e.uint(a.Window[1])
	return e.b
}

// DecodeAccount decodes a value stored under AccountKey.
func DecodeAccount(b []byte) (Account, error) {
	d := decoder{b: b}
	d.version()
	a := Account{
		Pub: d.pub(), EncKey: d.bytes(maxKey), Name: d.string(maxName),
		Role: Role(d.byte()), Org: d.string(maxID), Seq: d.uint(),
	}
	a.Window = [2]uint64{d.uint(), d.uint()}
	return a, d.end()
}

func (o *Org) Encode() []byte {
	e := encoder{b: make([]byte, 0, 64+len(o.EncKey)+len(o.Name))}
	e.byte(recordVersion)
	e.string(o.ID)
	e.string(o.Name)
	e.byte(byte(o.Kind))
	e.string(o.CreditCode)
	e.string(o.Bureau)
	e.bytes(o.EncKey)
	e.uint(uint64(o.KeyEpoch))
	e.uint(uint64(o.NextEpoch))
	e.uint(uint64(o.Members))
	e.uint(o.Bills)
	e.uint(o.Queued)
	return e.b
}

// DecodeOrg decodes a value stored under OrgKey.
func DecodeOrg(b []byte) (Org, error) {
	d := decoder{b: b}
	d.version()
	o := Org{
		ID: d.string(maxID), Name: d.string(maxName), Kind: OrgKind(d.byte()),
		CreditCode: d.string(maxName), Bureau: d.string(maxID), EncKey: d.bytes(maxKey),
		KeyEpoch: uint32(d.uint()), NextEpoch: uint32(d.uint()), Members: uint32(d.uint()),
		Bills: d.uint(), Queued: d.uint(),
	}
	return o, d.end()
}

func (e *OrgEpoch) Encode() []byte {
	enc := encoder{b: make([]byte, 0, 96+len(e.EncKey))}
	enc.byte(recordVersion)
	enc.string(e.Org)
	enc.uint(uint64(e.Epoch))
	enc.bytes(e.EncKey)
	enc.uint(uint64(e.Granted))
	enc.bool(e.Complete)
	enc.bytes(e.By)
	enc.int(e.Height)
	return enc.b
}

// DecodeEpoch decodes a value stored under EpochKey.
func DecodeEpoch(b []byte) (OrgEpoch, error) {
	d := decoder{b: b}
	d.version()
	e := OrgEpoch{
		Org: d.string(maxID), Epoch: uint32(d.uint()), EncKey: d.bytes(maxKey), Granted: uint32(d.uint()),
		Complete: d.bool(), By: d.optPub(), Height: d.int(),
	}
	return e, d.end()
}

func (c *CodeBinding) Encode() []byte {
	e := encoder{}
	e.byte(recordVersion)
	e.string(c.Code)
	e.string(c.Bureau)
	e.uint(c.High)
	return e.b
}

// DecodeCode decodes a value stored under CodeKey.
func DecodeCode(b []byte) (CodeBinding, error) {
	d := decoder{b: b}
	d.version()
	c := CodeBinding{Code: d.string(maxID), Bureau: d.string(maxID), High: d.uint()}
	return c, d.end()
}

func (g *Grant) Encode() []byte {
	e := encoder{b: make([]byte, 0, 96+len(g.Wrapped))}
	e.byte(recordVersion)
	e.string(g.Org)
	e.fixed(g.Member)
	e.uint(uint64(g.Epoch))
	e.bytes(g.Wrapped)
	e.bytes(g.By)
	e.int(g.Height)
	return e.b
}

// DecodeGrant decodes a value stored under GrantKey.
func DecodeGrant(b []byte) (Grant, error) {
	d := decoder{b: b}
	d.version()
	g := Grant{
		Org: d.string(maxID), Member: d.pub(), Epoch: uint32(d.uint()),
		Wrapped: d.bytes(maxKey), By: d.optPub(), Height: d.int(),
	}
	return g, d.end()
}

func (s *Segment) Encode() []byte {
	e := encoder{}
	e.byte(recordVersion)
	e.string(s.Org)
	e.string(s.Code)
	e.uint(s.Start)
	e.uint(s.End)
	e.uint(s.Next)
	return e.b
}

// DecodeSegment decodes a value stored under SegmentKey.
func DecodeSegment(b []byte) (Segment, error) {
	d := decoder{b: b}
	d.version()
	s := Segment{Org: d.string(maxID), Code: d.string(maxID), Start: d.uint(), End: d.uint(), Next: d.uint()}
	return s, d.end()
}

func (b *BillRecord) Encode() []byte {
	e := encoder{b: make([]byte, 0, 512+160*len(b.Events))}
	e.byte(recordVersion)
	e.string(b.ID)
	e.string(string(b.Kind))
	e.string(b.Org)
	e.string(b.Serial)
	e.string(b.Code)
	e.int(int64(b.Total))
	e.int(nanos(b.Created))
	e.fixed(b.Commitment[:])
	e.fixed(b.Payload[:])
	e.fixed(b.Digest[:])
	e.fixed(b.Cashier)
	e.bytes(b.CashierSig)
	e.byte(byte(b.Status))
	e.uint(uint64(b.Revision))
	e.string(b.Number)
	e.string(b.CheckCode)
	e.int(nanos(b.IssuedAt))
	e.string(b.RedOf)
	e.string(b.ReversedBy)
	e.bytes(b.Reviewer)
	e.bytes(b.ReviewSig)
	e.uint(b.QueueSeq)
	e.events(b.Events)
	return e.b
}

func (e *encoder) events(evs []Event) {
	e.uint(uint64(len(evs)))
	for _, ev := range evs {
		e.byte(byte(ev.Type))
		e.int(ev.Height)
		e.fixed(ev.TxHash[:])
		e.int(nanos(ev.Time))
		e.fixed(ev.Actor)
		e.string(ev.Note)
		e.bytes(ev.Sealed)
	}
}

func (d *decoder) events() []Event {
	n := d.count(MaxRevisionEvents)
	if n == 0 {
		return nil
	}
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{
			Type: EventType(d.byte()), Height: d.int(), TxHash: d.array32(),
			Time: fromNanos(d.int()), Actor: d.pub(), Note: d.string(maxText), Sealed: d.bytes(maxSealed),
		}
	}
	return evs
}

func (h *History) Encode() []byte {
	e := encoder{b: make([]byte, 0, 64+160*len(h.Events))}
	e.byte(recordVersion)
	e.string(h.ID)
	e.uint(uint64(h.Revision))
	e.fixed(h.Payload[:])
	e.events(h.Events)
	return e.b
}

// DecodeHistory decodes a value stored under HistoryKey.
func DecodeHistory(v []byte) (History, error) {
	d := decoder{b: v}
	d.version()
	h := History{ID: d.string(maxID), Revision: uint32(d.uint()), Payload: d.array32()}
	h.Events = d.events()
	return h, d.end()
}

// DecodeBillRecord decodes a value stored under BillKey.
func DecodeBillRecord(v []byte) (BillRecord, error) {
	d := decoder{b: v}
	d.version()
	b := BillRecord{
		ID: d.string(maxID), Kind: bill.Kind(d.string(maxID)), Org: d.string(maxID),
		Serial: d.string(maxSerial), Code: d.string(maxID), Total: bill.Money(d.int()),
		Created: fromNanos(d.int()), Commitment: d.array32(), Payload: d.array32(), Digest: d.array32(),
		Cashier: d.pub(), CashierSig: d.bytes(ed25519.SignatureSize), Status: Status(d.byte()),
		Revision: uint32(d.uint()), Number: d.string(maxID), CheckCode: d.string(maxID),
		IssuedAt: fromNanos(d.int()), RedOf: d.string(maxID), ReversedBy: d.string(maxID),
		Reviewer: d.optPub(), ReviewSig: d.bytes(ed25519.SignatureSize),
		QueueSeq: d.uint(),
	}
	b.Events = d.events()
	return b, d.end()
}
