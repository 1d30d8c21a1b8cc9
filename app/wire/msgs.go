package wire

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"ebill/app/bill"
)

// MsgType tags a message on the wire. Values are protocol: append only.
type MsgType uint8

const (
	MsgRegisterOrg     MsgType = 1
	MsgRegisterAccount MsgType = 2
	MsgGrantOrgKey     MsgType = 3
	MsgRotateOrgKey    MsgType = 4
	MsgAllocateSegment MsgType = 5
	MsgSubmitBill      MsgType = 6
	MsgWithdraw        MsgType = 7
	MsgApprove         MsgType = 8
	MsgReject          MsgType = 9
	MsgIssue           MsgType = 10
	MsgReverse         MsgType = 11
	MsgBindCode        MsgType = 12
)

var msgNames = []string{"", "register_org", "register_account", "grant_org_key", "rotate_org_key",
	"allocate_segment", "submit_bill", "withdraw", "approve", "reject", "issue", "reverse", "bind_code"}

func (t MsgType) String() string { return enumName(msgNames, uint8(t)) }

// Msg is the body of a transaction: one of the exported message structs below.
type Msg interface {
	Type() MsgType
	encode(*encoder)
	// validate checks what can be checked without state, so CheckTx and NewTx refuse
	// nonsense early and execution only deals with well-formed fields.
	Validate() error
	// innerSignature returns the digest and signature the message carries besides the
	// transaction signature (made with the same key), or nil, nil.
	innerSignature(chainID string) (digest, sig []byte)
}

// RegisterOrg registers a hospital or a bureau (admin only). A hospital names the bureau
// that reviews its bills, which must already exist.
type RegisterOrg struct {
	ID         string
	Name       string
	Kind       OrgKind
	CreditCode string
	Bureau     string
	EncKey     []byte // the org's HPKE public key, epoch 1
}

// RegisterAccount creates an account (admin only). An account is registered once: nobody
// can rewrite its keys, role or org in place.
type RegisterAccount struct {
	Pub    ed25519.PublicKey
	EncKey []byte
	Name   string
	Role   Role
	Org    string
}

// GrantOrgKey hands org's private key of one epoch in use, wrapped to member's EncKey, to a
// member of the org who holds none of that epoch. The signer is a key-administering member
// of the org holding a grant of that epoch. Grants are never overwritten.
type GrantOrgKey struct {
	Org     string
	Member  ed25519.PublicKey
	Epoch   uint32
	Wrapped []byte
}

// MemberGrant is one wrapped key in a rotation.
type MemberGrant struct {
	Member  ed25519.PublicKey
	Wrapped []byte
}

// RotateOrgKey starts key epoch Epoch of the org (the one after the last started) with
// public key EncKey and grants it to members; a rotation for more members than one
// transaction holds continues in further RotateOrgKey naming the same Epoch and EncKey. The
// epoch comes into use (Org.EncKey, Org.KeyEpoch) once every member of the org who reads its
// bills holds a grant of it; grants of earlier epochs keep opening earlier bills only.
type RotateOrgKey struct {
	Org    string
	Epoch  uint32
	EncKey []byte
	Grants []MemberGrant
}

// BindCode binds a bill code (票据代码) to the bureau whose clerks allocate its numbers
// (admin only). A code is bound once.
type BindCode struct {
	Code   string
	Bureau string
}

// AllocateSegment gives a hospital the numbers Start..End for a bill code bound to its
// bureau (a finance clerk of that bureau). Numbers of one code are allocated upwards across all orgs, so two
// segments never overlap; a new allocation replaces the org's segment for the code.
type AllocateSegment struct {
	Org   string
	Code  string
	Start uint64
	End   uint64
}

// SubmitBill uploads a bill for review (a cashier of the org). Signature is the cashier's
// Ed25519 signature over Digest (bill.IdentityDigest of the chain, the fields and Revision),
// made with the transaction's signing key. Revision is the revision the submission makes:
// 1 for a new bill; resubmitting a rejected or withdrawn bill (the same serial) makes the
// next one, at most MaxRevisions. Any other repeat is refused as CodeDuplicate with the
// existing bill in Data; a revision other than the next as CodeStaleRevision.
type SubmitBill struct {
	Kind bill.Kind
	Org  string
	// Serial is the tag of the business serial (业务流水号) that desks send in its place
	// (wallet.OrgKey.SerialTag, in hex): the ledger never holds a HIS serial in clear.
	Serial     string
	Code       string
	Total      bill.Money
	Created    time.Time
	Revision   uint32
	Commitment [32]byte
	Payload    []byte // the sealed envelope; the ledger never opens it
	Signature  []byte
}

// ID is the id the bill gets: bill.ID(Org, Serial), Serial being the serial's tag.
func (m *SubmitBill) ID() string { return bill.ID(m.Org, m.Serial) }

// Withdraw takes back a bill that has not been issued (a cashier of its org), with an
// optional reason.
// Reason is sealed by the desk with the bill's note key (wallet.NoteKey of its first
// revision's envelope), so only the bill's own orgs read it; the ledger stores it as it is.
type Withdraw struct {
	ID     string
	Reason []byte
}

// Approve countersigns a submitted bill (a finance clerk of the org's bureau): Digest must
// be the bill's identity digest, Countersig the clerk's signature over
// bill.CountersignDigest(Digest), and Revision the revision reviewed.
type Approve struct {
	ID         string
	Revision   uint32
	Digest     [32]byte
	Countersig []byte
}

// Reject refuses a submitted bill with a reason (a finance clerk of the org's bureau).
// Reason is sealed by the desk with the bill's note key (wallet.NoteKey of its first
// revision's envelope), so only the bill's own orgs read it; the ledger stores it as it is.
type Reject struct {
	ID       string
	Revision uint32
	Reason   []byte
}

// Issue gives an approved bill the next number of its org's segment and its check code (a
// cashier of the org).
type Issue struct {
	ID string
}

// Reverse (红冲) cancels an issued bill with a red bill (a cashier of the org). Red is the
// red bill as the cashier submits it: same kind, org and code as the original, its own
// serial, payload and signature, and Total the negated original total. The red bill is
// issued at once with the next number; the original becomes reversed, with the reason
// sealed as Withdraw's is.
type Reverse struct {
	ID     string
	Reason []byte
	Red    SubmitBill
}

func (*RegisterOrg) Type() MsgType     { return MsgRegisterOrg }
func (*RegisterAccount) Type() MsgType { return MsgRegisterAccount }
func (*GrantOrgKey) Type() MsgType     { return MsgGrantOrgKey }
func (*RotateOrgKey) Type() MsgType    { return MsgRotateOrgKey }
func (*AllocateSegment) Type() MsgType { return MsgAllocateSegment }
func (*SubmitBill) Type() MsgType      { return MsgSubmitBill }
func (*Withdraw) Type() MsgType        { return MsgWithdraw }
func (*Approve) Type() MsgType         { return MsgApprove }
func (*Reject) Type() MsgType          { return MsgReject }
func (*Issue) Type() MsgType           { return MsgIssue }
func (*Reverse) Type() MsgType         { return MsgReverse }
func (*BindCode) Type() MsgType        { return MsgBindCode }

func (*RegisterOrg) innerSignature(string) (_, _ []byte)     { return nil, nil }
func (*RegisterAccount) innerSignature(string) (_, _ []byte) { return nil, nil }
func (*GrantOrgKey) innerSignature(string) (_, _ []byte)     { return nil, nil }
func (*RotateOrgKey) innerSignature(string) (_, _ []byte)    { return nil, nil }
func (*AllocateSegment) innerSignature(string) (_, _ []byte) { return nil, nil }
func (*Withdraw) innerSignature(string) (_, _ []byte)        { return nil, nil }
func (*Reject) innerSignature(string) (_, _ []byte)          { return nil, nil }
func (*Issue) innerSignature(string) (_, _ []byte)           { return nil, nil }
func (*BindCode) innerSignature(string) (_, _ []byte)        { return nil, nil }

func (m *SubmitBill) innerSignature(chainID string) (_, _ []byte) {
	d := m.Digest(chainID)
	return d[:], m.Signature
}
func (m *Approve) innerSignature(string) (_, _ []byte) {
	d := bill.CountersignDigest(m.Digest)
	return d[:], m.Countersig
}
func (m *Reverse) innerSignature(chainID string) (_, _ []byte) { return m.Red.innerSignature(chainID) }

func (m *RegisterOrg) encode(e *encoder) {
	e.string(m.ID)
	e.string(m.Name)
	e.byte(byte(m.Kind))
	e.string(m.CreditCode)
	e.string(m.Bureau)
	e.bytes(m.EncKey)
}

func (m *RegisterAccount) encode(e *encoder) {
	e.fixed(m.Pub)
	e.bytes(m.EncKey)
	e.string(m.Name)
	e.byte(byte(m.Role))
	e.string(m.Org)
}

func (m *GrantOrgKey) encode(e *encoder) {
	e.string(m.Org)
	e.fixed(m.Member)
	e.uint(uint64(m.Epoch))
	e.bytes(m.Wrapped)
}

func (m *RotateOrgKey) encode(e *encoder) {
	e.string(m.Org)
	e.uint(uint64(m.Epoch))
	e.bytes(m.EncKey)
	e.uint(uint64(len(m.Grants)))
	for _, g := range m.Grants {
		e.fixed(g.Member)
		e.bytes(g.Wrapped)
	}
}

func (m *BindCode) encode(e *encoder) {
	e.string(m.Code)
	e.string(m.Bureau)
}

func (m *AllocateSegment) encode(e *encoder) {
	e.string(m.Org)
	e.string(m.Code)
	e.uint(m.Start)
	e.uint(m.End)
}

func (m *SubmitBill) encode(e *encoder) {
	e.string(string(m.Kind))
	e.string(m.Org)
	e.string(m.Serial)
	e.string(m.Code)
	e.int(int64(m.Total))
	e.int(nanos(m.Created))
	e.uint(uint64(m.Revision))
	e.fixed(m.Commitment[:])
	e.bytes(m.Payload)
	e.bytes(m.Signature)
}

func (m *Withdraw) encode(e *encoder) {
	e.string(m.ID)
	e.bytes(m.Reason)
}

func (m *Approve) encode(e *encoder) {
	e.string(m.ID)
	e.uint(uint64(m.Revision))
	e.fixed(m.Digest[:])
	e.bytes(m.Countersig)
}

func (m *Reject) encode(e *encoder) {
	e.string(m.ID)
	e.uint(uint64(m.Revision))
	e.bytes(m.Reason)
}

func (m *Issue) encode(e *encoder) { e.string(m.ID) }

func (m *Reverse) encode(e *encoder) {
	e.string(m.ID)
	e.bytes(m.Reason)
	m.Red.encode(e)
}

func decodeSubmit(d *decoder) SubmitBill {
	return SubmitBill{
		Kind: bill.Kind(d.string(maxID)), Org: d.string(maxID), Serial: d.string(maxSerial),
		Code: d.string(maxID), Total: bill.Money(d.int()), Created: fromNanos(d.int()),
		Revision: uint32(d.uint()), Commitment: d.array32(), Payload: d.bytes(MaxPayload), Signature: d.bytes(ed25519.SignatureSize),
	}
}

func decodeMsg(t MsgType, body []byte) (Msg, error) {
	d := &decoder{b: body}
	var m Msg
	switch t {
	case MsgRegisterOrg:
		m = &RegisterOrg{ID: d.string(maxID), Name: d.string(maxName), Kind: OrgKind(d.byte()),
			CreditCode: d.string(maxName), Bureau: d.string(maxID), EncKey: d.bytes(maxKey)}
	case MsgRegisterAccount:
		m = &RegisterAccount{Pub: d.pub(), EncKey: d.bytes(maxKey), Name: d.string(maxName),
			Role: Role(d.byte()), Org: d.string(maxID)}
	case MsgGrantOrgKey:
		m = &GrantOrgKey{Org: d.string(maxID), Member: d.pub(), Epoch: uint32(d.uint()), Wrapped: d.bytes(maxKey)}
	case MsgRotateOrgKey:
		r := &RotateOrgKey{Org: d.string(maxID), Epoch: uint32(d.uint()), EncKey: d.bytes(maxKey)}
		if n := d.count(maxGrants); n > 0 {
			r.Grants = make([]MemberGrant, n)
		}
		for i := range r.Grants {
			r.Grants[i] = MemberGrant{Member: d.pub(), Wrapped: d.bytes(maxKey)}
		}
		m = r
	case MsgBindCode:
		m = &BindCode{Code: d.string(maxID), Bureau: d.string(maxID)}
	case MsgAllocateSegment:
		m = &AllocateSegment{Org: d.string(maxID), Code: d.string(maxID), Start: d.uint(), End: d.uint()}
	case MsgSubmitBill:
		s := decodeSubmit(d)
		m = &s
	case MsgWithdraw:
		m = &Withdraw{ID: d.string(maxID), Reason: d.bytes(maxSealed)}
	case MsgApprove:
		m = &Approve{ID: d.string(maxID), Revision: uint32(d.uint()), Digest: d.array32(),
			Countersig: d.bytes(ed25519.SignatureSize)}
	case MsgReject:
		m = &Reject{ID: d.string(maxID), Revision: uint32(d.uint()), Reason: d.bytes(maxSealed)}
	case MsgIssue:
		m = &Issue{ID: d.string(maxID)}
	case MsgReverse:
		m = &Reverse{ID: d.string(maxID), Reason: d.bytes(maxSealed), Red: decodeSubmit(d)}
	default:
		return nil, fmt.Errorf("%w: unknown message type %d", ErrMalformed, t)
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return m, nil
}

// Stateless validation. The errors read as "field: problem" and quote the bad input.

var errEmpty = errors.New("empty")

func checkOrgID(field, id string) error {
	if id == "" || len(id) > maxID {
		return fmt.Errorf("%s %q: want 1 to %d characters", field, id, maxID)
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%s %q: only letters, digits, '-' and '_'", field, id)
		}
	}
	return nil
}

func checkCode(code string) error {
	if len(code) != 8 || !allDigits(code) {
		return fmt.Errorf("bill code %q: want 8 digits", code)
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkBillID(id string) error {
	if len(id) != 32 {
		return fmt.Errorf("bill id %q: want 32 hex digits", id)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("bill id %q: want lowercase hex", id)
		}
	}
	return nil
}

func checkText(field, s string, max int, required bool) error {
	switch {
	case required && s == "":
		return fmt.Errorf("%s: %w", field, errEmpty)
	case len(s) > max:
		return fmt.Errorf("%s: %d bytes exceed %d", field, len(s), max)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s %q: not UTF-8", field, s)
	}
	return nil
}

// checkSealed bounds a sealed note: a text of up to MaxReason bytes with its nonce and tag.
func checkSealed(field string, b []byte, required bool) error {
	switch {
	case required && len(b) == 0:
		return fmt.Errorf("%s: %w", field, errEmpty)
	case len(b) > maxSealed:
		return fmt.Errorf("%s: %d sealed bytes exceed %d (%d of text)", field, len(b), maxSealed, MaxReason)
	case len(b) > 0 && len(b) < sealOverhead:
		return fmt.Errorf("%s: %d bytes cannot be a sealed note", field, len(b))
	}
	return nil
}

func checkKey(field string, k []byte) error {
	if len(k) == 0 || len(k) > maxKey {
		return fmt.Errorf("%s: %d bytes, want 1 to %d", field, len(k), maxKey)
	}
	return nil
}

func checkPub(field string, p ed25519.PublicKey) error {
	if len(p) != ed25519.PublicKeySize {
		return fmt.Errorf("%s: %d bytes, want %d", field, len(p), ed25519.PublicKeySize)
	}
	return nil
}

func checkSig(field string, s []byte) error {
	if len(s) != ed25519.SignatureSize {
		return fmt.Errorf("%s: %d bytes, want %d", field, len(s), ed25519.SignatureSize)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *RegisterOrg) Validate() error {
	err := firstErr(checkOrgID("org id", m.ID), checkText("name", m.Name, maxName, true),
		checkText("credit code", m.CreditCode, maxName, false), checkKey("enc key", m.EncKey))
	switch {
	case err != nil:
		return err
	case !enumValid(kindNames, uint8(m.Kind)):
		return fmt.Errorf("org kind %d unknown", m.Kind)
	case m.Kind == OrgHospital:
		return checkOrgID("bureau", m.Bureau)
	case m.Bureau != "":
		return fmt.Errorf("bureau %q: only hospitals name a bureau", m.Bureau)
	}
	return nil
}

func (m *RegisterAccount) Validate() error {
	if !enumValid(roleNames, uint8(m.Role)) {
		return fmt.Errorf("role %d unknown", m.Role)
	}
	return firstErr(checkPub("pub", m.Pub), checkKey("enc key", m.EncKey),
		checkText("name", m.Name, maxName, true), checkOrgID("org", m.Org))
}

func (m *GrantOrgKey) Validate() error {
	if m.Epoch == 0 {
		return fmt.Errorf("epoch 0: epochs start at 1")
	}
	return firstErr(checkOrgID("org", m.Org), checkPub("member", m.Member), checkKey("wrapped key", m.Wrapped))
}

func (m *RotateOrgKey) Validate() error {
	if err := firstErr(checkOrgID("org", m.Org), checkKey("enc key", m.EncKey)); err != nil {
		return err
	}
	if m.Epoch < 2 {
		return fmt.Errorf("epoch %d: a rotation starts epoch 2 or later", m.Epoch)
	}
	if len(m.Grants) > maxGrants {
		return fmt.Errorf("grants: %d exceed %d", len(m.Grants), maxGrants)
	}
	for i, g := range m.Grants {
		if err := firstErr(checkPub("member", g.Member), checkKey("wrapped key", g.Wrapped)); err != nil {
			return fmt.Errorf("grant %d: %w", i, err)
		}
		for _, h := range m.Grants[:i] {
			if h.Member.Equal(g.Member) {
				return fmt.Errorf("grant %d: member %x granted twice", i, g.Member)
			}
		}
	}
	return nil
}

func (m *BindCode) Validate() error {
	return firstErr(checkCode(m.Code), checkOrgID("bureau", m.Bureau))
}

// MaxNumber is the largest bill number: ten digits.
const MaxNumber = 9_999_999_999

func (m *AllocateSegment) Validate() error {
	if err := firstErr(checkOrgID("org", m.Org), checkCode(m.Code)); err != nil {
		return err
	}
	if m.Start == 0 || m.Start > m.End || m.End > MaxNumber {
		return fmt.Errorf("segment %d..%d: want 1 <= start <= end <= %d", m.Start, m.End, uint64(MaxNumber))
	}
	return nil
}

func (m *SubmitBill) Validate() error {
	if m.Kind != bill.Outpatient && m.Kind != bill.Inpatient {
		return fmt.Errorf("kind %q: want %q or %q", m.Kind, bill.Outpatient, bill.Inpatient)
	}
	if m.Created.IsZero() {
		return fmt.Errorf("created: %w", errEmpty)
	}
	// To the minute, as a bill prints it: the nanoseconds of a HIS clock would let anyone
	// who reads the ledger match its records to the hospital's logs.
	if !m.Created.Equal(m.Created.Truncate(time.Minute)) {
		return fmt.Errorf("created %s: whole minutes only", m.Created.Format(time.RFC3339Nano))
	}
	if len(m.Payload) == 0 {
		return fmt.Errorf("payload: %w", errEmpty)
	}
	if m.Revision == 0 {
		return fmt.Errorf("revision 0: revisions start at 1")
	}
	return firstErr(checkOrgID("org", m.Org), checkText("serial", m.Serial, maxSerial, true),
		checkCode(m.Code), checkSig("signature", m.Signature))
}

func (m *Withdraw) Validate() error {
	return firstErr(checkBillID(m.ID), checkSealed("reason", m.Reason, false))
}

func (m *Approve) Validate() error {
	if m.Revision == 0 {
		return fmt.Errorf("revision 0: revisions start at 1")
	}
	return firstErr(checkBillID(m.ID), checkSig("countersignature", m.Countersig))
}

func (m *Reject) Validate() error {
	if m.Revision == 0 {
		return fmt.Errorf("revision 0: revisions start at 1")
	}
	return firstErr(checkBillID(m.ID), checkSealed("reason", m.Reason, true))
}

func (m *Issue) Validate() error { return checkBillID(m.ID) }

func (m *Reverse) Validate() error {
	if err := firstErr(checkBillID(m.ID), checkSealed("reason", m.Reason, true)); err != nil {
		return err
	}
	if err := m.Red.Validate(); err != nil {
		return fmt.Errorf("red bill: %w", err)
	}
	if m.Red.Total > 0 {
		return fmt.Errorf("red bill: total %d fen: a red bill's total is negative", m.Red.Total)
	}
	return nil
}
