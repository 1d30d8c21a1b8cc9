package ledger

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"time"

	"ebill/app/bill"
)

// exec runs one message against a store overlay. Handlers return a *Refusal for a bad
// transaction and any other error only for storage failure, which halts the node rather
// than letting it diverge.
type exec struct {
	st      *overlay
	chainID string
	height  int64
	time    time.Time
	hash    [32]byte // of the transaction; zero in genesis
	signer  Account
	result  Result
	events  []EventType // bill timeline events appended, for metrics
	// genesis is set while the genesis document is applied: its messages come from the
	// founding orgs, not from a signer with a role, and no org key is held by the admin
	// who stands in for them.
	genesis bool
}

// load reads and decodes one record; ok is false when the key is absent.
func load[T any](x *exec, key []byte, decode func([]byte) (T, error)) (v T, ok bool, err error) {
	raw, err := x.st.Get(key)
	if err != nil || raw == nil {
		return v, false, err
	}
	v, err = decode(raw)
	if err != nil {
		return v, false, fmt.Errorf("stored record %q: %w", key, err)
	}
	return v, true, nil
}

// mustLoad is load where absence is a refusal with CodeNotFound.
func mustLoad[T any](x *exec, what string, id string, key []byte, decode func([]byte) (T, error)) (T, error) {
	v, ok, err := load(x, key, decode)
	if err == nil && !ok {
		err = refuse(CodeNotFound, "%s %q does not exist", what, id)
	}
	return v, err
}

func (x *exec) org(id string) (Org, error) { return mustLoad(x, "org", id, OrgKey(id), DecodeOrg) }

func (x *exec) bill(id string) (Bill, error) { return mustLoad(x, "bill", id, BillKey(id), DecodeBill) }

func (x *exec) putOrg(o *Org)         { x.st.set(OrgKey(o.ID), o.encode()) }
func (x *exec) putAccount(a *Account) { x.st.set(AccountKey(a.Pub), a.encode()) }
func (x *exec) putBill(b *Bill)       { x.st.set(BillKey(b.ID), b.encode()) }

func short(pub ed25519.PublicKey) string {
	if len(pub) < 4 {
		return hex.EncodeToString(pub)
	}
	return hex.EncodeToString(pub[:4])
}

func (x *exec) requireOrg(org, what string) error {
	if x.signer.Org == org {
		return nil
	}
	return refuse(CodeWrongOrg, "signer %s belongs to %q, not %q, %s", short(x.signer.Pub), x.signer.Org, org, what)
}

// apply dispatches a message. The caller has authenticated the signer.
func (x *exec) apply(m Msg) error {
	switch m := m.(type) {
	case *RegisterOrg:
		return x.registerOrg(m)
	case *RegisterAccount:
		return x.registerAccount(m)
	case *GrantOrgKey:
		return x.grantOrgKey(m)
	case *RotateOrgKey:
		return x.rotateOrgKey(m)
	case *BindCode:
		return x.bindCode(m)
	case *AllocateSegment:
		return x.allocateSegment(m)
	case *SubmitBill:
		return x.submit(m)
	case *Withdraw:
		return x.withdraw(m)
	case *Approve:
		return x.approve(m)
	case *Reject:
		return x.reject(m)
	case *Issue:
		return x.issue(m)
	case *Reverse:
		return x.reverse(m)
	}
	return refuse(CodeMalformed, "message type %T", m)
}

func (x *exec) registerOrg(m *RegisterOrg) error {
	if _, ok, err := load(x, OrgKey(m.ID), DecodeOrg); err != nil || ok {
		return firstErr(err, refuse(CodeExists, "org %q is already registered", m.ID))
	}
	if m.Kind == OrgHospital {
		b, err := x.org(m.Bureau)
		if err != nil {
			return err
		}
		if b.Kind != OrgBureau {
			return refuse(CodeInvalid, "bureau %q of hospital %q is a %s", m.Bureau, m.ID, b.Kind)
		}
	}
	x.putOrg(&Org{ID: m.ID, Name: m.Name, Kind: m.Kind, CreditCode: m.CreditCode, Bureau: m.Bureau,
		EncKey: m.EncKey, KeyEpoch: 1, NextEpoch: 1})
	e := OrgEpoch{Org: m.ID, Epoch: 1, EncKey: m.EncKey, Complete: true, Height: x.height}
	x.st.set(EpochKey(m.ID, 1), e.encode())
	return nil
}

func (x *exec) registerAccount(m *RegisterAccount) error {
	if m.Role == RoleAdmin {
		return refuse(CodeInvalid, "account %s: the network has one admin, from its genesis", short(m.Pub))
	}
	o, err := x.org(m.Org)
	if err != nil {
		return err
	}
	if want := orgKindOf(m.Role); want != 0 && o.Kind != want {
		return refuse(CodeInvalid, "a %s belongs to a %s, and %q is a %s", m.Role, want, m.Org, o.Kind)
	}
	// An account is written once: an admin who could rewrite keys, role or org in place
	// could take over a member's identity and history.
	if a, ok, err := load(x, AccountKey(m.Pub), DecodeAccount); err != nil || ok {
		return firstErr(err, refuse(CodeExists, "account %s is registered as %s (%s) of %q", short(m.Pub), a.Name, a.Role, a.Org))
	}
	x.putAccount(&Account{Pub: m.Pub, EncKey: m.EncKey, Name: m.Name, Role: m.Role, Org: m.Org})
	if readsBills(m.Role) {
		o.Members++
		x.putOrg(&o)
	}
	return nil
}

// orgKindOf is the kind of org a role works at; 0 for roles found at either.
func orgKindOf(r Role) OrgKind {
	switch r {
	case RoleFinance:
		return OrgBureau
	case RoleCashier:
		return OrgHospital
	}
	return 0
}

func (x *exec) allocateSegment(m *AllocateSegment) error {
	o, err := x.org(m.Org)
	if err != nil {
		return err
	}
	if o.Kind != OrgHospital {
		return refuse(CodeInvalid, "org %q is a %s; segments are for hospitals", m.Org, o.Kind)
	}
	if !x.genesis {
		if err := x.requireOrg(o.Bureau, "the bureau of "+m.Org); err != nil {
			return err
		}
	}
	c, err := mustLoad(x, "bill code", m.Code, CodeKey(m.Code), DecodeCode)
	if err != nil {
		return err
	}
	if c.Bureau != o.Bureau {
		return refuse(CodeWrongOrg, "bill code %s is bound to bureau %q, not to %q, the bureau of %q", m.Code, c.Bureau, o.Bureau, m.Org)
	}
	if m.Start <= c.High {
		return refuse(CodeSegmentOverlap, "numbers of code %s are allocated up to %d; segment %d..%d must start above", m.Code, c.High, m.Start, m.End)
	}
	s := Segment{Org: m.Org, Code: m.Code, Start: m.Start, End: m.End, Next: m.Start}
	x.st.set(SegmentKey(m.Org, m.Code), s.encode())
	c.High = m.End
	x.st.set(CodeKey(m.Code), c.encode())
	return nil
}

// record appends a timeline event to b.
func (x *exec) record(b *Bill, t EventType, note string) {
	b.Events = append(b.Events, Event{Type: t, Height: x.height, TxHash: x.hash, Time: x.time, Actor: x.signer.Pub, Note: note})
	x.events = append(x.events, t)
}

func (x *exec) setResult(b *Bill) {
	x.result = Result{BillID: b.ID, Revision: b.Revision, Status: b.Status, Number: b.Number, CheckCode: b.CheckCode}
}

// cashierOf checks that the signer (a cashier, by the authority table) is of org.
func (x *exec) cashierOf(org string) (Org, error) {
	if err := x.requireOrg(org, "the bill's org"); err != nil {
		return Org{}, err
	}
	return x.org(org)
}

// ownBill loads bill id for a cashier of its org, the one who withdraws, issues and
// reverses it; it returns the org too.
func (x *exec) ownBill(id string) (Bill, Org, error) {
	b, err := x.bill(id)
	if err != nil {
		return b, Org{}, err
	}
	o, err := x.cashierOf(b.Org)
	return b, o, err
}

// listNew adds a new bill to its org's list.
func (x *exec) listNew(o *Org, id string) {
	o.Bills++
	x.st.set(orgBillKey(o.ID, o.Bills), []byte(id))
	x.putOrg(o)
}

// enqueue puts a submitted bill at the end of its bureau's review queue.
func (x *exec) enqueue(b *Bill, bureau string) error {
	q, err := x.org(bureau)
	if err != nil {
		return err
	}
	q.Queued++
	b.QueueSeq = q.Queued
	x.st.set(queueKey(bureau, q.Queued), []byte(b.ID))
	x.putOrg(&q)
	return nil
}

func (x *exec) dequeue(b *Bill, bureau string) {
	if b.QueueSeq != 0 {
		x.st.del(queueKey(bureau, b.QueueSeq))
		b.QueueSeq = 0
	}
}

// fill copies a submitted bill's content into b.
func (x *exec) fill(b *Bill, m *SubmitBill) {
	b.Kind, b.Code, b.Total, b.Created, b.Commitment = m.Kind, m.Code, m.Total, m.Created, m.Commitment
	b.Digest = m.digest()
	b.Cashier, b.CashierSig = x.signer.Pub, m.Signature
	b.Reviewer, b.ReviewSig = nil, nil
	x.st.set(PayloadKey(b.ID, b.Revision), m.Payload)
}

func (x *exec) submit(m *SubmitBill) error {
	o, err := x.cashierOf(m.Org)
	if err != nil {
		return err
	}
	if m.Total < 0 {
		return refuse(CodeInvalid, "total %d fen: only red bills are negative", m.Total)
	}
	id := bill.ID(m.Org, m.Serial)
	b, exists, err := load(x, BillKey(id), DecodeBill)
	if err != nil {
		return err
	}
	switch {
	case !exists:
		b = Bill{ID: id, Org: m.Org, Serial: m.Serial, Revision: 1}
		x.listNew(&o, id)
		x.record(&b, EventSubmitted, "")
	case b.Status == StatusRejected || b.Status == StatusWithdrawn:
		b.Revision++
		x.record(&b, EventResubmitted, fmt.Sprintf("revision %d", b.Revision))
	default:
		x.setResult(&b)
		return refuse(CodeDuplicate, "org %q serial %q is bill %s, %s", m.Org, m.Serial, id, b.Status)
	}
	x.fill(&b, m)
	b.Status = StatusSubmitted
	if err := x.enqueue(&b, o.Bureau); err != nil {
		return err
	}
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

func (x *exec) withdraw(m *Withdraw) error {
	b, o, err := x.ownBill(m.ID)
	if err != nil {
		return err
	}
	if b.Status != StatusSubmitted && b.Status != StatusApproved && b.Status != StatusRejected {
		return refuse(CodeBadState, "bill %s is %s; only a bill not yet issued can be withdrawn", b.ID, b.Status)
	}
	x.dequeue(&b, o.Bureau)
	b.Status, b.Reason = StatusWithdrawn, m.Reason
	x.record(&b, EventWithdrawn, m.Reason)
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

// review loads a bill for approval or rejection by a finance clerk of its bureau.
func (x *exec) review(id string, rev uint32) (Bill, error) {
	b, err := x.bill(id)
	if err != nil {
		return b, err
	}
	o, err := x.org(b.Org)
	if err != nil {
		return b, err
	}
	if err := x.requireOrg(o.Bureau, "the bureau of "+b.Org); err != nil {
		return b, err
	}
	if b.Status != StatusSubmitted {
		return b, refuse(CodeBadState, "bill %s is %s; only a submitted bill can be reviewed", b.ID, b.Status)
	}
	if b.Revision != rev {
		return b, refuse(CodeStaleRevision, "bill %s is at revision %d, the review is of revision %d", b.ID, b.Revision, rev)
	}
	x.dequeue(&b, o.Bureau)
	return b, nil
}

func (x *exec) approve(m *Approve) error {
	b, err := x.review(m.ID, m.Revision)
	if err != nil {
		return err
	}
	if b.Digest != m.Digest {
		return refuse(CodeDigestMismatch, "bill %s has identity digest %x, the countersignature is over %x", b.ID, b.Digest, m.Digest)
	}
	b.Status, b.Reviewer, b.ReviewSig = StatusApproved, x.signer.Pub, m.Countersig
	x.record(&b, EventApproved, "")
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

func (x *exec) reject(m *Reject) error {
	b, err := x.review(m.ID, m.Revision)
	if err != nil {
		return err
	}
	b.Status, b.Reason = StatusRejected, m.Reason
	x.record(&b, EventRejected, m.Reason)
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

// assignNumber gives b the next number of its org's segment for its code, and its check
// code and issue time.
func (x *exec) assignNumber(b *Bill) error {
	key := SegmentKey(b.Org, b.Code)
	s, ok, err := load(x, key, DecodeSegment)
	switch {
	case err != nil:
		return err
	case !ok:
		return refuse(CodeNoSegment, "org %q has no segment for bill code %s", b.Org, b.Code)
	case s.Next > s.End:
		return refuse(CodeSegmentExhausted, "segment %d..%d of org %q for code %s is used up", s.Start, s.End, b.Org, b.Code)
	}
	number := fmt.Sprintf("%010d", s.Next)
	nk := NumberKey(b.Code, number)
	if taken, err := x.st.Get(nk); err != nil || taken != nil {
		// Allocation keeps segments of a code disjoint, so this means a broken invariant:
		// refuse rather than give one number twice.
		return firstErr(err, refuse(CodeExists, "number %s/%s is already bill %s", b.Code, number, taken))
	}
	s.Next++
	x.st.set(key, s.encode())
	x.st.set(nk, []byte(b.ID))
	b.Number = number
	b.CheckCode = bill.CheckCode(x.chainID, b.Code, number, b.Commitment)
	b.IssuedAt = x.time
	b.Status = StatusIssued
	return nil
}

func (x *exec) issue(m *Issue) error {
	b, _, err := x.ownBill(m.ID)
	if err != nil {
		return err
	}
	if b.Status != StatusApproved {
		return refuse(CodeBadState, "bill %s is %s%s; only an approved bill can be issued", b.ID, b.Status, numbered(&b))
	}
	if err := x.assignNumber(&b); err != nil {
		return err
	}
	x.record(&b, EventIssued, b.Code+"/"+b.Number)
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

func numbered(b *Bill) string {
	if b.Number == "" {
		return ""
	}
	return " as " + b.Code + "/" + b.Number
}

func (x *exec) reverse(m *Reverse) error {
	orig, o, err := x.ownBill(m.ID)
	if err != nil {
		return err
	}
	if orig.Status != StatusIssued {
		return refuse(CodeBadState, "bill %s is %s%s; only an issued bill can be reversed", orig.ID, orig.Status, numbered(&orig))
	}
	if orig.RedOf != "" {
		return refuse(CodeBadState, "bill %s is a red bill; red bills are not reversed", orig.ID)
	}
	r := &m.Red
	if r.Org != orig.Org || r.Kind != orig.Kind || r.Code != orig.Code || r.Total != -orig.Total {
		return refuse(CodeInvalid, "red bill (%s %s %s %d fen) must match the original (%s %s %s) with total %d fen",
			r.Org, r.Kind, r.Code, r.Total, orig.Org, orig.Kind, orig.Code, -orig.Total)
	}
	redID := bill.ID(r.Org, r.Serial)
	if existing, ok, err := load(x, BillKey(redID), DecodeBill); err != nil || ok {
		if ok {
			x.setResult(&existing)
		}
		return firstErr(err, refuse(CodeDuplicate, "org %q serial %q is already bill %s", r.Org, r.Serial, redID))
	}
	red := Bill{ID: redID, Org: r.Org, Serial: r.Serial, Revision: 1, RedOf: orig.ID, Reason: m.Reason}
	x.fill(&red, r)
	if err := x.assignNumber(&red); err != nil {
		return err
	}
	x.record(&red, EventRedIssued, orig.ID)
	x.listNew(&o, redID)
	x.putBill(&red)

	orig.Status, orig.ReversedBy, orig.Reason = StatusReversed, redID, m.Reason
	x.record(&orig, EventReversed, redID)
	x.putBill(&orig)
	x.setResult(&orig)
	x.result.RedID, x.result.Number, x.result.CheckCode = redID, red.Number, red.CheckCode
	return nil
}

// seqFresh reports whether seq is unused under a's replay window.
func seqFresh(a *Account, seq uint64) bool {
	switch {
	case seq == 0:
		return false
	case seq > a.Seq:
		return true
	case a.Seq-seq >= 128:
		return false
	}
	i := a.Seq - seq
	return a.Window[i/64]&(1<<(i%64)) == 0
}

// useSeq marks seq used; seqFresh(a, seq) must hold.
func useSeq(a *Account, seq uint64) {
	if seq > a.Seq {
		shift := seq - a.Seq
		switch {
		case shift >= 128:
			a.Window = [2]uint64{}
		case shift >= 64:
			a.Window = [2]uint64{0, a.Window[0] << (shift - 64)}
		default:
			a.Window = [2]uint64{a.Window[0] << shift, a.Window[1]<<shift | a.Window[0]>>(64-shift)}
		}
		a.Seq = seq
	}
	i := a.Seq - seq
	a.Window[i/64] |= 1 << (i % 64)
}
