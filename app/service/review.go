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
	var res *ctypes.ResultABCIQuery
	err := d.net.each(ctx, func(ctx context.Context, c rpcclient.Client, _ string) (err error) {
		res, err = c.ABCIQuery(ctx, path, req.Encode())
		return err
	})
	if err != nil {
		return Page{}, fmt.Errorf("list %s of %q: %w", path, req.Org, err)
	}
	if code := wire.Code(res.Response.Code); code != wire.CodeOK {
		return Page{}, refusal(fmt.Sprintf("list %s of %q", path, req.Org), code, res.Response.Log)
	}
	hint, err := wire.DecodeListPage(res.Response.Value)
	if err != nil {
		return Page{}, fmt.Errorf("list %s of %q: %w", path, req.Org, err)
	}
	views := make([]*View, len(hint.Bills))
	errs := make([]error, len(hint.Bills))
	sem := make(chan struct{}, listReaders)
	var wg sync.WaitGroup
	for i, b := range hint.Bills {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			views[i], errs[i] = d.record(ctx, b.ID)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Page{}, err
	}
	page := Page{Next: hint.Next}
	for _, v := range views {
		if req.Status == 0 || v.Record.Status == req.Status {
			page.Bills = append(page.Bills, v)
		}
	}
	return page, nil
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

	digest := bill.IdentityDigest(rec.Kind, rec.Org, rec.Serial, rec.Created, rec.Commitment)
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
		{"kind", b.Kind == rec.Kind}, {"org", b.OrgCode == rec.Org}, {"serial", b.Serial == rec.Serial},
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
	msg := &wire.Approve{ID: rec.ID, Revision: rec.Revision, Digest: rec.Digest, Countersig: d.id.Sign(rec.Digest[:])}
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
	sealed, err := d.sealReason(ctx, id, wire.EventRejected, reason)
	if err != nil {
		return nil, fmt.Errorf("reject %q: %w", id, err)
	}
	v, _, err = d.transition(ctx, id, &wire.Reject{ID: id, Revision: rev, Reason: sealed}, "reject "+id, p,
		func(b wire.BillRecord) bool { return b.Revision == rev && b.Status == wire.StatusRejected })
	return v, err
}

// AutoReport counts what AutoReview did.
type AutoReport struct {
	Approved int
	Held     []*Review // failed a rule: left in the queue for a clerk
	Failed   []error   // could not be reviewed or approved
}

// AutoReview reviews the whole queue of the desk's bureau and approves every bill that
// passes every rule, leaving the rest for a clerk. Bills are reviewed concurrently.
func (d *Desk) AutoReview(ctx context.Context, p Progress) (AutoReport, error) {
	var rep AutoReport
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, batchWorkers)
	// Pages are listed while earlier ones are still being approved: the cursor moves past
	// bills in work, and the approvals of many pages share blocks.
	var err error
	for cursor := uint64(0); ; {
		var page Page
		if page, err = d.Queue(ctx, cursor, wire.MaxListLimit); err != nil {
			break
		}
		for _, v := range page.Bills {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				held, err := d.autoReview(ctx, v, p)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					rep.Failed = append(rep.Failed, err)
				case held != nil:
					rep.Held = append(rep.Held, held)
				default:
					rep.Approved++
				}
			})
		}
		if cursor = page.Next; cursor == 0 {
			err = ctx.Err()
			break
		}
	}
	wg.Wait()
	return rep, err
}

// autoReview approves v if it passes every rule, and returns its review otherwise.
func (d *Desk) autoReview(ctx context.Context, v *View, p Progress) (*Review, error) {
	if err := d.open(ctx, v); err != nil {
		return nil, fmt.Errorf("review %q: %w", v.ID, err)
	}
	o, err := d.orgOf(ctx, v.Record.Org)
	if err != nil {
		return nil, fmt.Errorf("review %q: %w", v.ID, err)
	}
	r := d.review(v, o)
	if !r.Passed() {
		return r, nil
	}
	_, err = d.approve(ctx, r, p)
	return nil, err
}
