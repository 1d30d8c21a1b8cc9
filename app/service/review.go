package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"ebill/app/bill"
	"ebill/app/wire"
	"ebill/wallet"
)

// Page is one page of a list; each bill in it was fetched again with a proof. Next is the
// cursor of the following page, 0 at the end.
type Page struct {
	Bills []*View
	Next  uint64
}

// Queue lists the bills awaiting review at the desk's bureau, oldest first, undecrypted.
func (d *Desk) Queue(ctx context.Context, cursor uint64, limit int) (Page, error) {
	if d.acct.Role != wire.RoleFinance {
		return Page{}, fmt.Errorf("review queue as %s: %w: only a finance clerk reviews", d.acct.Role, ErrWrongRole)
	}
	return d.list(ctx, wire.QueryQueue, wire.ListRequest{Org: d.acct.Org, Status: wire.StatusSubmitted, Cursor: cursor, Limit: limit})
}

// Bills lists org's bills ("" for the desk's own org), newest first, optionally of one
// status (0 for all), undecrypted.
func (d *Desk) Bills(ctx context.Context, org string, status wire.Status, cursor uint64, limit int) (Page, error) {
	if org == "" {
		org = d.acct.Org
	}
	if org != d.acct.Org && d.acct.Role != wire.RoleAdmin && d.acct.Role != wire.RoleAuditor {
		bureau, err := d.bureauOf(ctx, org)
		if err != nil {
			return Page{}, err
		}
		if bureau != d.acct.Org {
			return Page{}, fmt.Errorf("bills of %q: %w", org, ErrNotReader)
		}
	}
	return d.list(ctx, wire.QueryBills, wire.ListRequest{Org: org, Status: status, Cursor: cursor, Limit: limit})
}

// listReaders bounds the proven reads of one page made at once.
const listReaders = 8

// list asks a node for a page of a list, which it answers without proof, and reads every
// bill of it again with a proof. A bill that has moved on since (approved while listed in
// the queue) is left out.
func (d *Desk) list(ctx context.Context, path string, req wire.ListRequest) (Page, error) {
	hint, err := d.hint(ctx, path, req)
	if err != nil {
		return Page{}, err
	}
	views := make([]*View, len(hint.IDs))
	errs := make([]error, len(hint.IDs))
	sem := make(chan struct{}, listReaders)
	var wg sync.WaitGroup
	for i, id := range hint.IDs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			views[i], errs[i] = d.record(ctx, id)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Page{}, err
	}
	// Opened where the desk may, so a list shows serials and payers; a bill that does not
	// open is listed by its record, and says why when it is fetched on its own.
	for _, v := range views {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			d.open(ctx, v)
		})
	}
	wg.Wait()
	page := Page{Next: hint.Next}
	for _, v := range views {
		if req.Status == 0 || v.Record.Status == req.Status {
			page.Bills = append(page.Bills, v)
		}
	}
	return page, nil
}

// hint asks a node for a page of a list, which it answers without proof.
func (d *Desk) hint(ctx context.Context, path string, req wire.ListRequest) (wire.ListPage, error) {
	var res *ctypes.ResultABCIQuery
	err := d.net.each(ctx, func(ctx context.Context, c rpcclient.Client, _ string) (err error) {
		res, err = c.ABCIQuery(ctx, path, req.Encode())
		return err
	})
	if err != nil {
		return wire.ListPage{}, fmt.Errorf("list %s of %q: %w", path, req.Org, err)
	}
	if code := wire.Code(res.Response.Code); code != wire.CodeOK {
		return wire.ListPage{}, refusal(fmt.Sprintf("list %s of %q", path, req.Org), code, res.Response.Log)
	}
	hint, err := wire.DecodeListPage(res.Response.Value)
	if err != nil {
		return wire.ListPage{}, fmt.Errorf("list %s of %q: %w", path, req.Org, err)
	}
	return hint, nil
}

// Check is one automatic review rule applied to a bill.
type Check struct {
	// Rule is a stable name: signature, valid, matches_record, payee, amount, created,
	// duplicate.
	Rule string
	OK   bool
	// ZH and EN say why the rule failed, for the clerk and for logs.
	ZH, EN string
}

// Review is a decrypted bill with the outcome of every automatic rule.
type Review struct {
	*View
	Checks []Check
}

// Passed reports whether every rule passed.
func (r *Review) Passed() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Plausible totals for automatic approval, in fen; a larger bill waits for a clerk.
var autoLimit = map[bill.Kind]bill.Money{
	bill.Outpatient: 50_000_00,
	bill.Inpatient:  1_000_000_00,
}

// createdSlack is how far a bill's creation time may lie ahead of the block that recorded
// it (clocks of HIS machines drift); createdMaxAge how long before it.
const (
	createdSlack  = 10 * time.Minute
	createdMaxAge = 30 * 24 * time.Hour
)

// Review fetches and decrypts a submitted bill with the bureau's key, verifies its
// commitment and applies the automatic rules.
func (d *Desk) Review(ctx context.Context, id string) (*Review, error) {
	if d.acct.Role != wire.RoleFinance {
		return nil, fmt.Errorf("review %q as %s: %w: only a finance clerk reviews", id, d.acct.Role, ErrWrongRole)
	}
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := d.orgOf(ctx, v.Record.Org)
	if err != nil {
		return nil, err
	}
	return d.review(v, o), nil
}

// review applies the rules to v, a bill of org o.
func (d *Desk) review(v *View, o wire.Org) *Review {
	b, rec := &v.Bill.Bill, &v.Record
	r := &Review{View: v}
	add := func(rule string, ok bool, zh, en string) {
		c := Check{Rule: rule, OK: ok}
		if !ok {
			c.ZH, c.EN = zh, en
		}
		r.Checks = append(r.Checks, c)
	}

	digest := identity(d.net.ChainID(), rec)
	add("signature", digest == rec.Digest && wallet.Verify(rec.Cashier, digest[:], rec.CashierSig),
		"收款人签名无效", "the cashier's signature over the identity digest does not verify")

	var zh, en []string
	for _, p := range problems(b.Validate()) {
		zh, en = append(zh, p.Path+": "+p.ZH), append(en, p.Path+": "+p.EN)
	}
	add("valid", len(zh) == 0, strings.Join(zh, "；"), strings.Join(en, "; "))

	var diff []string
	for _, f := range []struct {
		name string
		same bool
	}{
		// The record holds the serial's tag, which only the hospital's key makes: the
		// commitment binds the serial, the tag only the hospital's own idempotency.
		{"kind", b.Kind == rec.Kind}, {"org", b.OrgCode == rec.Org},
		{"code", b.Code == rec.Code}, {"total", b.Total == rec.Total}, {"created", b.CreatedAt.Truncate(time.Minute).Equal(rec.Created)},
	} {
		if !f.same {
			diff = append(diff, f.name)
		}
	}
	add("matches_record", len(diff) == 0, "票据内容与链上记录不符: "+strings.Join(diff, ", "),
		"the bill differs from its ledger record in "+strings.Join(diff, ", "))

	// The payee printed on the bill is the org the ledger registered, so that a hospital
	// cannot issue under another's name or credit code.
	add("payee", b.Payee.Name == o.Name && b.Payee.CreditCode == o.CreditCode,
		fmt.Sprintf("收款单位 %s（%s）与链上登记的 %s（%s）不符", b.Payee.Name, b.Payee.CreditCode, o.Name, o.CreditCode),
		fmt.Sprintf("payee %q (%s) is not the org on the ledger, %q (%s)", b.Payee.Name, b.Payee.CreditCode, o.Name, o.CreditCode))

	limit, known := autoLimit[b.Kind]
	add("amount", known && b.Total > 0 && b.Total <= limit,
		fmt.Sprintf("金额 %s 元超出自动审核范围（0 至 %s 元）", b.Total, limit),
		fmt.Sprintf("total %s yuan is outside the automatic range (0 to %s)", b.Total, limit))

	if at, ok := submittedAt(rec); ok {
		add("created", !b.CreatedAt.After(at.Add(createdSlack)) && !b.CreatedAt.Before(at.Add(-createdMaxAge)),
			fmt.Sprintf("开票时间 %s 与上链时间 %s 相差过大", b.CreatedAt.Format(time.DateTime), at.Format(time.DateTime)),
			fmt.Sprintf("created %s is implausible for a bill recorded at %s", b.CreatedAt.Format(time.RFC3339), at.Format(time.RFC3339)))
	}

	fp := fingerprint(b)
	d.mu.Lock()
	other, dup := d.seen[fp]
	if !dup {
		d.seen[fp] = v.ID
	}
	d.mu.Unlock()
	dup = dup && other != v.ID
	add("duplicate", !dup, "与票据 "+other+" 的交款人、就诊和金额相同，疑似重复开票",
		"same payer, visit and total as bill "+other+": possibly billed twice")
	return r
}

// problems unpacks Validate's result.
func problems(err error) bill.Problems {
	var ps bill.Problems
	if errors.As(err, &ps) {
		return ps
	}
	if err != nil {
		return bill.Problems{{Path: "bill", ZH: err.Error(), EN: err.Error()}}
	}
	return nil
}

// submittedAt is the block time of the bill's latest (re)submission.
func submittedAt(rec *wire.BillRecord) (time.Time, bool) {
	for i := len(rec.Events) - 1; i >= 0; i-- {
		if t := rec.Events[i].Type; t == wire.EventSubmitted || t == wire.EventResubmitted {
			return rec.Events[i].Time, true
		}
	}
	return time.Time{}, false
}

// fingerprint identifies a visit's charge: the same payer, patient, dates and total under
// two business serials is most likely one payment billed twice.
func fingerprint(b *bill.Bill) [32]byte {
	m := b.Medical
	return sha256.Sum256(fmt.Appendf(nil, "%q|%q|%q|%s|%s|%s|%d", b.OrgCode, b.Payer.ID, m.PatientNo,
		m.VisitDate, m.AdmissionDate, m.DischargeDate, b.Total))
}

// Approve countersigns the current revision of the bill (a finance clerk of its bureau).
// It refuses a bill whose payload does not match its commitment or whose cashier signature
// does not verify; the other rules are the clerk's to weigh.
func (d *Desk) Approve(ctx context.Context, id string, p Progress) (*View, error) {
	r, err := d.Review(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.approve(ctx, r, p)
}

func (d *Desk) approve(ctx context.Context, r *Review, p Progress) (*View, error) {
	if !r.Checks[0].OK {
		return nil, fmt.Errorf("approve %q: %w: %s", r.ID, ErrVerification, r.Checks[0].EN)
	}
	rec := r.Record
	me := d.id.PublicKey()
	counter := bill.CountersignDigest(rec.Digest)
	msg := &wire.Approve{ID: rec.ID, Revision: rec.Revision, Digest: rec.Digest, Countersig: d.id.Sign(counter[:])}
	v, _, err := d.transition(ctx, rec.ID, msg, "approve "+rec.ID, p, func(b wire.BillRecord) bool {
		return b.Revision == rec.Revision && b.Status >= wire.StatusApproved && b.Status != wire.StatusRejected &&
			b.Status != wire.StatusWithdrawn && bytes.Equal(b.Reviewer, me)
	})
	return v, err
}

// Reject refuses the current revision of the bill with a reason.
func (d *Desk) Reject(ctx context.Context, id, reason string, p Progress) (*View, error) {
	if d.acct.Role != wire.RoleFinance {
		return nil, fmt.Errorf("reject %q as %s: %w: only a finance clerk reviews", id, d.acct.Role, ErrWrongRole)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("reject %q: %w: a reason is required", id, ErrInvalid)
	}
	v, err := d.record(ctx, id)
	if err != nil {
		return nil, err
	}
	rev := v.Record.Revision
	sealed, err := d.sealReason(ctx, v, wire.EventRejected, reason)
	if err != nil {
		return nil, fmt.Errorf("reject %q: %w", id, err)
	}
	v, _, err = d.transition(ctx, id, &wire.Reject{ID: id, Revision: rev, Reason: sealed}, "reject "+id, p,
		func(b wire.BillRecord) bool { return b.Revision == rev && b.Status == wire.StatusRejected })
	return v, err
}

// AutoReport says what AutoReview did with every bill it found in the queue: each is in
// exactly one of Approved, Held, Failed and Gone, so their sum is the number of bills seen.
type AutoReport struct {
	Approved int
	Held     []*Review // failed a rule: left in the queue for a clerk
	// Failed are the bills that could not be reviewed or approved, each a *BillError; they
	// are still in the queue. A network fault is retried first; what is here failed for good
	// or on every attempt.
	Failed []error
	// Gone are the bills that left the queue by another's hand (another clerk decided, the
	// cashier withdrew) between the listing and their review.
	Gone []string
}

// BillError is the failure of one bill of a loop over many.
type BillError struct {
	ID  string
	Err error
}

func (e *BillError) Error() string { return e.Err.Error() }
func (e *BillError) Unwrap() error { return e.Err }

// autoAttempts bounds how often AutoReview tries one bill whose failure was retryable.
const autoAttempts = 5

// AutoReview reviews the whole queue of the desk's bureau and approves every bill that
// passes every rule, leaving the rest for a clerk. Bills are reviewed concurrently. It lists
// the queue again after each round, until a listing holds no bill it has not settled: a bill
// that failed on a network fault is tried again after a pause, and one that left the queue
// meanwhile is accounted for by a proven read, so no bill is skipped without a word.
func (d *Desk) AutoReview(ctx context.Context, p Progress) (AutoReport, error) {
	if d.acct.Role != wire.RoleFinance {
		return AutoReport{}, fmt.Errorf("automatic review as %s: %w: only a finance clerk reviews", d.acct.Role, ErrWrongRole)
	}
	a := &autoRun{d: d, p: p, state: map[string]*autoBill{}}
	for round := 0; ; round++ {
		ids, err := d.queued(ctx)
		if err != nil {
			return a.report(), err
		}
		todo := a.plan(ctx, ids)
		if len(todo) == 0 {
			return a.report(), ctx.Err()
		}
		if round > 0 {
			if err := pause(ctx, retryPause(round)); err != nil {
				return a.report(), err
			}
		}
		a.run(ctx, todo)
	}
}

// autoRun is one AutoReview: the outcome so far of every bill it has seen.
type autoRun struct {
	d     *Desk
	p     Progress
	mu    sync.Mutex
	order []string // ids in the order first seen, so the report is stable
	state map[string]*autoBill
}

type autoBill struct {
	outcome  autoOutcome
	attempts int
	held     *Review
	err      error // the last failure
}

type autoOutcome int

const (
	autoRetry autoOutcome = iota // not settled: tried fewer than autoAttempts times, or not yet
	autoApproved
	autoHeld
	autoFailed
	autoGone
)

// plan settles the bills that are no longer listed and returns those still to try: the new
// ones and those whose last failure may pass on another try.
func (a *autoRun) plan(ctx context.Context, listed []string) []string {
	in := make(map[string]bool, len(listed))
	var todo []string
	for _, id := range listed {
		in[id] = true
		b, ok := a.state[id]
		if !ok {
			b = &autoBill{}
			a.state[id] = b
			a.order = append(a.order, id)
		}
		if b.outcome == autoRetry {
			if b.attempts >= autoAttempts {
				b.outcome = autoFailed
				continue
			}
			todo = append(todo, id)
		}
	}
	// A bill tried but unsettled that the queue no longer lists was decided after all (an
	// approval whose read-back timed out) or by someone else: the ledger says which.
	for _, id := range a.order {
		if b := a.state[id]; b.outcome == autoRetry && !in[id] {
			a.settleGone(ctx, id, b)
		}
	}
	return todo
}

func (a *autoRun) settleGone(ctx context.Context, id string, b *autoBill) {
	v, err := a.d.record(ctx, id)
	switch {
	case err != nil:
		b.outcome, b.err = autoFailed, errors.Join(b.err, err)
	case a.approvedByMe(v.Record):
		b.outcome = autoApproved
		step(a.p, StageVerified, "%s verified at height %d (%.0f%% of voting power)", id, v.Verified.Height, v.Verified.SignedPercent)
	default:
		b.outcome = autoGone
	}
}

func (a *autoRun) approvedByMe(r wire.BillRecord) bool {
	return r.Status >= wire.StatusApproved && r.Status != wire.StatusRejected && r.Status != wire.StatusWithdrawn &&
		bytes.Equal(r.Reviewer, a.d.id.PublicKey())
}

// run tries every bill of ids once, batchWorkers at a time.
func (a *autoRun) run(ctx context.Context, ids []string) {
	next := make(chan string)
	var wg sync.WaitGroup
	for range min(batchWorkers, len(ids)) {
		wg.Go(func() {
			for id := range next {
				a.try(ctx, id)
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
}

func (a *autoRun) try(ctx context.Context, id string) {
	held, gone, err := a.d.autoReview(ctx, id, a.p)
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.state[id]
	b.attempts++
	switch {
	case err != nil && Retryable(err) && ctx.Err() == nil:
		b.err = err
	case err != nil:
		b.outcome, b.err = autoFailed, err
	case gone:
		b.outcome = autoGone
	case held != nil:
		b.outcome, b.held = autoHeld, held
	default:
		b.outcome = autoApproved
	}
}

// report sums up the run; a bill still unsettled (the run was cancelled) counts as failed.
func (a *autoRun) report() AutoReport {
	var rep AutoReport
	for _, id := range a.order {
		b := a.state[id]
		switch b.outcome {
		case autoApproved:
			rep.Approved++
		case autoHeld:
			rep.Held = append(rep.Held, b.held)
		case autoGone:
			rep.Gone = append(rep.Gone, id)
		default:
			err := b.err
			if err == nil {
				err = fmt.Errorf("review %q: not reached before the run ended", id)
			}
			rep.Failed = append(rep.Failed, &BillError{ID: id, Err: err})
		}
	}
	return rep
}

// queued lists the ids of the whole queue, oldest first. The cursor is the queue's own
// ordinal, which no approval changes, so a bill leaving the queue while it is listed never
// moves another past the cursor.
func (d *Desk) queued(ctx context.Context) ([]string, error) {
	var ids []string
	req := wire.ListRequest{Org: d.acct.Org, Status: wire.StatusSubmitted, Limit: wire.MaxListLimit}
	for {
		hint, err := retrying(ctx, func() (wire.ListPage, error) { return d.hint(ctx, wire.QueryQueue, req) })
		if err != nil {
			return ids, err
		}
		ids = append(ids, hint.IDs...)
		if req.Cursor = hint.Next; req.Cursor == 0 {
			return ids, nil
		}
	}
}

// autoReview reads bill id with a proof and approves it if it passes every rule; it
// returns its review otherwise, and gone when the bill no longer awaits review.
func (d *Desk) autoReview(ctx context.Context, id string, p Progress) (held *Review, gone bool, err error) {
	v, err := d.record(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if v.Record.Status != wire.StatusSubmitted {
		return nil, true, nil
	}
	if err := d.open(ctx, v); err != nil {
		return nil, false, &BillError{ID: id, Err: fmt.Errorf("review %q: %w", id, err)}
	}
	o, err := d.orgOf(ctx, v.Record.Org)
	if err != nil {
		return nil, false, &BillError{ID: id, Err: fmt.Errorf("review %q: %w", id, err)}
	}
	r := d.review(v, o)
	if !r.Passed() {
		return r, false, nil
	}
	if _, err = d.approve(ctx, r, p); errors.Is(err, ErrBadState) {
		// Another clerk decided it, or the cashier withdrew it, since it was read.
		if now, rerr := d.record(ctx, id); rerr == nil && now.Record.Status != wire.StatusSubmitted {
			return nil, true, nil
		}
	}
	if err != nil {
		return nil, false, &BillError{ID: id, Err: err}
	}
	return nil, false, nil
}
