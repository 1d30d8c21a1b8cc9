package ledger

import (
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"ebill/app/bill"
	"ebill/app/wire"
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
	signer  wire.Account
	result  wire.Result
	events  []wire.EventType    // bill timeline events appended, for metrics
	blobs   map[[32]byte][]byte // payloads the transaction stores, by their SHA-256
	// genesis is set while the genesis document is applied: its messages come from the
	// founding orgs, not from a signer with a role, and no org key is held by the admin
	// who stands in for them.
	genesis bool
}

// load reads and decodes one record; ok is false when the key is absent. A record that does
// not decode refuses the transaction (every node refuses it alike) instead of halting the
// chain: the limits keep every record decodable, and this keeps a mistake in them from
// stopping the network.
func load[T any](x *exec, key []byte, decode func([]byte) (T, error)) (v T, ok bool, err error) {
	raw, err := x.st.Get(key)
	if err != nil || raw == nil {
		return v, false, err
	}
	v, err = decode(raw)
	if err != nil {
		return v, false, wire.Refuse(wire.CodeUndecodable, "stored record %q: %v", key, err)
	}
	return v, true, nil
}

// mustLoad is load where absence is a refusal with CodeNotFound.
func mustLoad[T any](x *exec, what string, id string, key []byte, decode func([]byte) (T, error)) (T, error) {
	v, ok, err := load(x, key, decode)
	if err == nil && !ok {
		err = wire.Refuse(wire.CodeNotFound, "%s %q does not exist", what, id)
	}
	return v, err
}

func (x *exec) org(id string) (wire.Org, error) {
	return mustLoad(x, "org", id, wire.OrgKey(id), wire.DecodeOrg)
}

func (x *exec) bill(id string) (wire.BillRecord, error) {
	return mustLoad(x, "bill", id, wire.BillKey(id), wire.DecodeBillRecord)
}

func (x *exec) putOrg(o *wire.Org)         { x.st.set(wire.OrgKey(o.ID), o.Encode()) }
func (x *exec) putAccount(a *wire.Account) { x.st.set(wire.AccountKey(a.Pub), a.Encode()) }
func (x *exec) putBill(b *wire.BillRecord) { x.st.set(wire.BillKey(b.ID), b.Encode()) }

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
	return wire.Refuse(wire.CodeWrongOrg, "signer %s belongs to %q, not %q, %s", short(x.signer.Pub), x.signer.Org, org, what)
}

// apply dispatches a message. The caller has authenticated the signer.
func (x *exec) apply(m wire.Msg) error {
	switch m := m.(type) {
	case *wire.RegisterOrg:
		return x.registerOrg(m)
	case *wire.RegisterAccount:
		return x.registerAccount(m)
	case *wire.GrantOrgKey:
		return x.grantOrgKey(m)
	case *wire.RotateOrgKey:
		return x.rotateOrgKey(m)
	case *wire.BindCode:
		return x.bindCode(m)
	case *wire.AllocateSegment:
		return x.allocateSegment(m)
	case *wire.SubmitBill:
		return x.submit(m)
	case *wire.Withdraw:
		return x.withdraw(m)
	case *wire.Approve:
		return x.approve(m)
	case *wire.Reject:
		return x.reject(m)
	case *wire.Issue:
		return x.issue(m)
	case *wire.Reverse:
		return x.reverse(m)
	}
	return wire.Refuse(wire.CodeMalformed, "message type %T", m)
}

func (x *exec) registerOrg(m *wire.RegisterOrg) error {
	if _, ok, err := load(x, wire.OrgKey(m.ID), wire.DecodeOrg); err != nil || ok {
		return cmp.Or(err, wire.Refuse(wire.CodeExists, "org %q is already registered", m.ID))
	}
	if m.Kind == wire.OrgHospital {
		b, err := x.org(m.Bureau)
		if err != nil {
			return err
		}
		if b.Kind != wire.OrgBureau {
			return wire.Refuse(wire.CodeInvalid, "bureau %q of hospital %q is a %s", m.Bureau, m.ID, b.Kind)
		}
	}
	x.putOrg(&wire.Org{ID: m.ID, Name: m.Name, Kind: m.Kind, CreditCode: m.CreditCode, Bureau: m.Bureau,
		EncKey: m.EncKey, KeyEpoch: 1, NextEpoch: 1})
	e := wire.OrgEpoch{Org: m.ID, Epoch: 1, EncKey: m.EncKey, Complete: true, Height: x.height}
	x.st.set(wire.EpochKey(m.ID, 1), e.Encode())
	return nil
}

func (x *exec) registerAccount(m *wire.RegisterAccount) error {
	if m.Role == wire.RoleAdmin {
		return wire.Refuse(wire.CodeInvalid, "account %s: the network has one admin, from its genesis", short(m.Pub))
	}
	o, err := x.org(m.Org)
	if err != nil {
		return err
	}
	if want := orgKindOf(m.Role); want != 0 && o.Kind != want {
		return wire.Refuse(wire.CodeInvalid, "a %s belongs to a %s, and %q is a %s", m.Role, want, m.Org, o.Kind)
	}
	// An account is written once: an admin who could rewrite keys, role or org in place
	// could take over a member's identity and history.
	if a, ok, err := load(x, wire.AccountKey(m.Pub), wire.DecodeAccount); err != nil || ok {
		return cmp.Or(err, wire.Refuse(wire.CodeExists, "account %s is registered as %s (%s) of %q", short(m.Pub), a.Name, a.Role, a.Org))
	}
	x.putAccount(&wire.Account{Pub: m.Pub, EncKey: m.EncKey, Name: m.Name, Role: m.Role, Org: m.Org})
	if wire.ReadsBills(m.Role) {
		o.Members++
		x.putOrg(&o)
	}
	return nil
}

// orgKindOf is the kind of org a role works at; 0 for roles found at either.
func orgKindOf(r wire.Role) wire.OrgKind {
	switch r {
	case wire.RoleFinance:
		return wire.OrgBureau
	case wire.RoleCashier:
		return wire.OrgHospital
	}
	return 0
}

func (x *exec) allocateSegment(m *wire.AllocateSegment) error {
	o, err := x.org(m.Org)
	if err != nil {
		return err
	}
	if o.Kind != wire.OrgHospital {
		return wire.Refuse(wire.CodeInvalid, "org %q is a %s; segments are for hospitals", m.Org, o.Kind)
	}
	if !x.genesis {
		if err := x.requireOrg(o.Bureau, "the bureau of "+m.Org); err != nil {
			return err
		}
	}
	c, err := mustLoad(x, "bill code", m.Code, wire.CodeKey(m.Code), wire.DecodeCode)
	if err != nil {
		return err
	}
	if c.Bureau != o.Bureau {
		return wire.Refuse(wire.CodeWrongOrg, "bill code %s is bound to bureau %q, not to %q, the bureau of %q", m.Code, c.Bureau, o.Bureau, m.Org)
	}
	if m.Start <= c.High {
		return wire.Refuse(wire.CodeSegmentOverlap, "numbers of code %s are allocated up to %d; segment %d..%d must start above", m.Code, c.High, m.Start, m.End)
	}
	s := wire.Segment{Org: m.Org, Code: m.Code, Start: m.Start, End: m.End, Next: m.Start}
	x.st.set(wire.SegmentKey(m.Org, m.Code), s.Encode())
	c.High = m.End
	x.st.set(wire.CodeKey(m.Code), c.Encode())
	return nil
}

// record appends a timeline event to b with a public note and a sealed one. A full
// timeline is a refusal, never a record too large to decode.
func (x *exec) record(b *wire.BillRecord, t wire.EventType, note string, sealed []byte) error {
	if len(b.Events) >= wire.MaxRevisionEvents {
		return wire.Refuse(wire.CodeTimelineFull, "bill %s: revision %d has %d events", b.ID, b.Revision, len(b.Events))
	}
	b.Events = append(b.Events, wire.Event{Type: t, Height: x.height, TxHash: x.hash, Time: x.time, Actor: x.signer.Pub, Note: note, Sealed: sealed})
	x.events = append(x.events, t)
	return nil
}

// nextRevision moves the timeline of b's current revision to its History, written once,
// and starts the next revision.
func (x *exec) nextRevision(b *wire.BillRecord) error {
	if b.Revision >= wire.MaxRevisions {
		return wire.Refuse(wire.CodeTooManyRevisions, "bill %s has had %d revisions, the most one bill may", b.ID, b.Revision)
	}
	h := wire.History{ID: b.ID, Revision: b.Revision, Payload: b.Payload, Events: b.Events}
	x.st.set(wire.HistoryKey(b.ID, b.Revision), h.Encode())
	b.Revision++
	b.Events = nil
	return nil
}

func (x *exec) setResult(b *wire.BillRecord) {
	x.result = wire.Result{BillID: b.ID, Revision: b.Revision, Status: b.Status, Number: b.Number, CheckCode: b.CheckCode}
}

// cashierOf checks that the signer (a cashier, by the authority table) is of org.
func (x *exec) cashierOf(org string) (wire.Org, error) {
	if err := x.requireOrg(org, "the bill's org"); err != nil {
		return wire.Org{}, err
	}
	return x.org(org)
}

// ownBill loads bill id for a cashier of its org, the one who withdraws, issues and
// reverses it; it returns the org too.
func (x *exec) ownBill(id string) (wire.BillRecord, wire.Org, error) {
	b, err := x.bill(id)
	if err != nil {
		return b, wire.Org{}, err
	}
	o, err := x.cashierOf(b.Org)
	return b, o, err
}

// listNew adds a new bill to its org's list.
func (x *exec) listNew(o *wire.Org, id string) {
	o.Bills++
	x.st.set(wire.OrgBillKey(o.ID, o.Bills), []byte(id))
	x.putOrg(o)
}

// enqueue puts a submitted bill at the end of its bureau's review queue.
func (x *exec) enqueue(b *wire.BillRecord, bureau string) error {
	q, err := x.org(bureau)
	if err != nil {
		return err
	}
	q.Queued++
	b.QueueSeq = q.Queued
	x.st.set(wire.QueueKey(bureau, q.Queued), []byte(b.ID))
	x.putOrg(&q)
	return nil
}

func (x *exec) dequeue(b *wire.BillRecord, bureau string) {
	if b.QueueSeq != 0 {
		x.st.del(wire.QueueKey(bureau, b.QueueSeq))
		b.QueueSeq = 0
	}
}

// fill copies a submitted bill's content into b, whose revision it must make: the cashier
// signed that revision.
func (x *exec) fill(b *wire.BillRecord, m *wire.SubmitBill) error {
	if m.Revision != b.Revision {
		return wire.Refuse(wire.CodeStaleRevision, "bill %s: the submission is of revision %d, the ledger's next is %d", b.ID, m.Revision, b.Revision)
	}
	// Judged by the block's time, not a clock of the desk's or the bill's, so no fixed
	// date ever turns a valid bill invalid; zero only in CheckTx before the first block.
	if !x.time.IsZero() && m.Created.After(x.time.Add(wire.MaxCreatedAhead)) {
		return wire.Refuse(wire.CodeInvalid, "bill %s: created %s, after the block time %s", b.ID,
			m.Created.UTC().Format(time.RFC3339), x.time.UTC().Format(time.RFC3339))
	}
	b.Kind, b.Code, b.Total, b.Created, b.Commitment = m.Kind, m.Code, m.Total, m.Created, m.Commitment
	b.Digest = m.Digest(x.chainID)
	b.Cashier, b.CashierSig = x.signer.Pub, m.Signature
	b.Reviewer, b.ReviewSig = nil, nil
	h := sha256.Sum256(m.Payload)
	b.Payload = h
	if x.blobs == nil {
		x.blobs = map[[32]byte][]byte{}
	}
	x.blobs[h] = m.Payload
	return nil
}

func (x *exec) submit(m *wire.SubmitBill) error {
	o, err := x.cashierOf(m.Org)
	if err != nil {
		return err
	}
	if m.Total < 0 {
		return wire.Refuse(wire.CodeInvalid, "total %d fen: only red bills are negative", m.Total)
	}
	id := bill.ID(m.Org, m.Serial)
	b, exists, err := load(x, wire.BillKey(id), wire.DecodeBillRecord)
	if err != nil {
		return err
	}
	event, note := wire.EventSubmitted, ""
	switch {
	case !exists:
		b = wire.BillRecord{ID: id, Org: m.Org, Serial: m.Serial, Revision: 1}
		if err := x.fill(&b, m); err != nil {
			return err
		}
		x.listNew(&o, id)
	case b.Status == wire.StatusRejected || b.Status == wire.StatusWithdrawn:
		if m.Revision != b.Revision+1 {
			return wire.Refuse(wire.CodeStaleRevision, "bill %s is at revision %d; the submission is of revision %d, not the next", id, b.Revision, m.Revision)
		}
		if err := x.nextRevision(&b); err != nil {
			return err
		}
		if err := x.fill(&b, m); err != nil {
			return err
		}
		event, note = wire.EventResubmitted, fmt.Sprintf("revision %d", b.Revision)
	default:
		x.setResult(&b)
		return wire.Refuse(wire.CodeDuplicate, "org %q serial tag %s is bill %s, %s", m.Org, m.Serial, id, b.Status)
	}
	if err := x.record(&b, event, note, nil); err != nil {
		return err
	}
	b.Status = wire.StatusSubmitted
	if err := x.enqueue(&b, o.Bureau); err != nil {
		return err
	}
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

func (x *exec) withdraw(m *wire.Withdraw) error {
	b, o, err := x.ownBill(m.ID)
	if err != nil {
		return err
	}
	if b.Status != wire.StatusSubmitted && b.Status != wire.StatusApproved && b.Status != wire.StatusRejected {
		return wire.Refuse(wire.CodeBadState, "bill %s is %s; only a bill not yet issued can be withdrawn", b.ID, b.Status)
	}
	if err := x.record(&b, wire.EventWithdrawn, "", m.Reason); err != nil {
		return err
	}
	x.dequeue(&b, o.Bureau)
	b.Status = wire.StatusWithdrawn
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

// review loads a bill for approval or rejection by a finance clerk of its bureau.
func (x *exec) review(id string, rev uint32) (wire.BillRecord, error) {
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
	if b.Status != wire.StatusSubmitted {
		return b, wire.Refuse(wire.CodeBadState, "bill %s is %s; only a submitted bill can be reviewed", b.ID, b.Status)
	}
	if b.Revision != rev {
		return b, wire.Refuse(wire.CodeStaleRevision, "bill %s is at revision %d, the review is of revision %d", b.ID, b.Revision, rev)
	}
	x.dequeue(&b, o.Bureau)
	return b, nil
}

func (x *exec) approve(m *wire.Approve) error {
	b, err := x.review(m.ID, m.Revision)
	if err != nil {
		return err
	}
	if b.Digest != m.Digest {
		return wire.Refuse(wire.CodeDigestMismatch, "bill %s has identity digest %x, the countersignature is over %x", b.ID, b.Digest, m.Digest)
	}
	if err := x.record(&b, wire.EventApproved, "", nil); err != nil {
		return err
	}
	b.Status, b.Reviewer, b.ReviewSig = wire.StatusApproved, x.signer.Pub, m.Countersig
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

func (x *exec) reject(m *wire.Reject) error {
	b, err := x.review(m.ID, m.Revision)
	if err != nil {
		return err
	}
	if err := x.record(&b, wire.EventRejected, "", m.Reason); err != nil {
		return err
	}
	b.Status = wire.StatusRejected
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

// assignNumber gives b the next number of its org's segment for its code, and its check
// code and issue time.
func (x *exec) assignNumber(b *wire.BillRecord) error {
	key := wire.SegmentKey(b.Org, b.Code)
	s, ok, err := load(x, key, wire.DecodeSegment)
	switch {
	case err != nil:
		return err
	case !ok:
		return wire.Refuse(wire.CodeNoSegment, "org %q has no segment for bill code %s", b.Org, b.Code)
	case s.Next > s.End:
		return wire.Refuse(wire.CodeSegmentExhausted, "segment %d..%d of org %q for code %s is used up", s.Start, s.End, b.Org, b.Code)
	}
	number := fmt.Sprintf("%010d", s.Next)
	nk := wire.NumberKey(b.Code, number)
	if taken, err := x.st.Get(nk); err != nil || taken != nil {
		// Allocation keeps segments of a code disjoint, so this means a broken invariant:
		// refuse rather than give one number twice.
		return cmp.Or(err, wire.Refuse(wire.CodeExists, "number %s/%s is already bill %s", b.Code, number, taken))
	}
	s.Next++
	x.st.set(key, s.Encode())
	x.st.set(nk, []byte(b.ID))
	b.Number = number
	b.CheckCode = bill.CheckCode(x.chainID, b.Code, number, b.Commitment)
	b.IssuedAt = x.time
	b.Status = wire.StatusIssued
	return nil
}

func (x *exec) issue(m *wire.Issue) error {
	b, _, err := x.ownBill(m.ID)
	if err != nil {
		return err
	}
	if b.Status != wire.StatusApproved {
		return wire.Refuse(wire.CodeBadState, "bill %s is %s%s; only an approved bill can be issued", b.ID, b.Status, numbered(&b))
	}
	if err := x.assignNumber(&b); err != nil {
		return err
	}
	if err := x.record(&b, wire.EventIssued, b.Code+"/"+b.Number, nil); err != nil {
		return err
	}
	x.putBill(&b)
	x.setResult(&b)
	return nil
}

func numbered(b *wire.BillRecord) string {
	if b.Number == "" {
		return ""
	}
	return " as " + b.Code + "/" + b.Number
}

func (x *exec) reverse(m *wire.Reverse) error {
	orig, o, err := x.ownBill(m.ID)
	if err != nil {
		return err
	}
	if orig.Status != wire.StatusIssued {
		return wire.Refuse(wire.CodeBadState, "bill %s is %s%s; only an issued bill can be reversed", orig.ID, orig.Status, numbered(&orig))
	}
	if orig.RedOf != "" {
		return wire.Refuse(wire.CodeBadState, "bill %s is a red bill; red bills are not reversed", orig.ID)
	}
	r := &m.Red
	if r.Org != orig.Org || r.Kind != orig.Kind || r.Code != orig.Code || r.Total != -orig.Total {
		return wire.Refuse(wire.CodeInvalid, "red bill (%s %s %s %d fen) must match the original (%s %s %s) with total %d fen",
			r.Org, r.Kind, r.Code, r.Total, orig.Org, orig.Kind, orig.Code, -orig.Total)
	}
	redID := bill.ID(r.Org, r.Serial)
	if existing, ok, err := load(x, wire.BillKey(redID), wire.DecodeBillRecord); err != nil || ok {
		if ok {
			x.setResult(&existing)
		}
		return cmp.Or(err, wire.Refuse(wire.CodeDuplicate, "org %q serial tag %s is already bill %s", r.Org, r.Serial, redID))
	}
	red := wire.BillRecord{ID: redID, Org: r.Org, Serial: r.Serial, Revision: 1, RedOf: orig.ID}
	if err := x.fill(&red, r); err != nil {
		return err
	}
	if err := x.assignNumber(&red); err != nil {
		return err
	}
	if err := x.record(&orig, wire.EventReversed, redID, m.Reason); err != nil {
		return err
	}
	if err := x.record(&red, wire.EventRedIssued, orig.ID, nil); err != nil {
		return err
	}
	x.listNew(&o, redID)
	x.putBill(&red)
	orig.Status, orig.ReversedBy = wire.StatusReversed, redID
	x.putBill(&orig)
	x.setResult(&orig)
	x.result.RedID, x.result.Number, x.result.CheckCode = redID, red.Number, red.CheckCode
	return nil
}

// seqFresh reports whether seq is unused under a's replay window.
func seqFresh(a *wire.Account, seq uint64) bool {
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
func useSeq(a *wire.Account, seq uint64) {
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
