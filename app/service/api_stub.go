package service

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"time"

	"github.com/cometbft/cometbft/libs/log"

	"ebill/app/bill"
	"ebill/app/ledger"
	"ebill/app/node"
	"ebill/lightclient"
	"ebill/wallet"
)

var errNotYet = errors.New("service: not yet implemented")

// Options say how to reach a network.
type Options struct {
	// Network names the chain, the trust root and the RPC addresses of the primary and its
	// witnesses; transactions go to the primary and fail over to the witnesses.
	Network node.NetworkFile
	// Dir keeps the light node's verified headers.
	Dir string
	// Timeout bounds each network step (a read, a broadcast); 0 means 15 s. Waiting for a
	// commit is bounded by four of them.
	Timeout time.Duration
	// Logger receives the light node's log; nil discards it.
	Logger log.Logger
}

// Network is a connection to one ledger: its light node, RPC clients and commit watcher,
// shared by every Desk made with As.
type Network struct{}

// Connect starts a light node for opts.Network in opts.Dir and connects to its nodes.
func Connect(ctx context.Context, opts Options) (*Network, error) { return nil, errNotYet }

// StartEmbedded runs the embedded demo network in dir: on first use it creates the demo
// identities in store (node.DemoAdminName, node.DemoCashierName, node.DemoClerkName; ones
// already there are reused), initialises the single in-process node with the demo genesis
// in dir/node and writes dir/network.json; later runs only start it. Close stops the node.
func StartEmbedded(ctx context.Context, dir string, store wallet.Store) (*Network, error) {
	return nil, errNotYet
}

// ChainID is the chain of the network.
func (n *Network) ChainID() string { return "" }

// File is the network file the Network was started from (for the embedded node, the one
// written to dir/network.json).
func (n *Network) File() node.NetworkFile { return node.NetworkFile{} }

// Status reports the light node's latest verified header, for a status bar.
func (n *Network) Status() lightclient.Status { return lightclient.Status{} }

// Close stops the light node and, for the embedded network, the node.
func (n *Network) Close() error { return nil }

// As makes a Desk for id: it reads id's account by a verified read and unwraps the keys of
// its org that it holds grants for. An identity without an account is ErrNotFound.
func (n *Network) As(ctx context.Context, id *wallet.Identity) (*Desk, error) {
	return nil, errNotYet
}

// Account is who a Desk acts as, as the ledger registers it.
type Account struct {
	Name    string // the person's name on the ledger
	Address string // wallet.Address of the signing key
	Role    ledger.Role
	Org     string
	OrgName string
	Bureau  string // for a hospital member: the bureau that reviews the org's bills
}

// Desk is one identity at work on a Network. Its methods are safe for concurrent use.
type Desk struct{}

// Account says who the desk acts as.
func (d *Desk) Account() Account { return Account{} }

// Network is the network the desk works on.
func (d *Desk) Network() *Network { return nil }

// Stage is a step of a use case, reported through Progress.
type Stage string

// The stages, in the order a submission passes them.
const (
	StageSigning    Stage = "signing"
	StageEncrypting Stage = "encrypting"
	StageSending    Stage = "sending"
	StageCommitted  Stage = "committed"
	StageVerified   Stage = "verified"
)

// Progress receives the stages of long work. Calls may come from several goroutines at once
// during a batch; detail names the bill (its serial or id) and what happened.
type Progress interface {
	Step(stage Stage, detail string)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(stage Stage, detail string)

// Step calls f.
func (f ProgressFunc) Step(stage Stage, detail string) { f(stage, detail) }

// View is a bill as the desk may see it, proven against a verified header.
type View struct {
	ID string
	// Bill is the decrypted bill with the ledger's number, check code and issue time merged
	// in; nil when the identity may not read it.
	Bill *bill.Bill
	// Record is the ledger's record: status, signatures and the timeline (Record.Events).
	Record ledger.Bill
	// Verified is where the record was proven: height, app hash, share of voting power.
	Verified lightclient.Verified
	// Existed is set by Submit when the ledger already held this org and serial.
	Existed bool
}

// Submit validates b, seals it to its hospital and bureau, signs, broadcasts, waits for the
// commit and returns the bill read back through the light node. Submitting the same org and
// serial again returns the existing bill with Existed set.
func (d *Desk) Submit(ctx context.Context, b *bill.Bill, p Progress) (*View, error) {
	return nil, errNotYet
}

// BatchResult is the outcome of one bill of a batch.
type BatchResult struct {
	Index int    // position in the input
	ID    string // bill.ID of the bill, when it has an org and serial
	View  *View  // nil on error
	Err   error
}

// SubmitBatch submits bills concurrently through a bounded pipeline, as a HIS batch does.
// A bad bill never stops the others; the results are in input order.
func (d *Desk) SubmitBatch(ctx context.Context, bills []*bill.Bill, p Progress) []BatchResult {
	return nil
}

// Fetch reads the bill with this id, decrypting it when the identity may.
func (d *Desk) Fetch(ctx context.Context, id string) (*View, error) { return nil, errNotYet }

// FetchNumber reads the issued bill with this bill code and number.
func (d *Desk) FetchNumber(ctx context.Context, code, number string) (*View, error) {
	return nil, errNotYet
}

// FetchSerial reads the bill of org with this business serial.
func (d *Desk) FetchSerial(ctx context.Context, org, serial string) (*View, error) {
	return nil, errNotYet
}

// Page is one page of a list; each bill in it was fetched again with a proof. Next is the
// cursor of the following page, 0 at the end.
type Page struct {
	Bills []*View
	Next  uint64
}

// Queue lists the bills awaiting review at the desk's bureau, oldest first, undecrypted.
func (d *Desk) Queue(ctx context.Context, cursor uint64, limit int) (Page, error) {
	return Page{}, errNotYet
}

// Bills lists org's bills ("" for the desk's own org), newest first, optionally of one
// status (0 for all), undecrypted.
func (d *Desk) Bills(ctx context.Context, org string, status ledger.Status, cursor uint64, limit int) (Page, error) {
	return Page{}, errNotYet
}

// Check is one automatic review rule applied to a bill.
type Check struct {
	Rule   string // stable name: "valid", "matches_record", "commitment", "amount", "duplicate", "created"
	OK     bool
	Reason string // why it failed, for the clerk
}

// Review is a decrypted bill with the outcome of every automatic rule.
type Review struct {
	*View
	Checks []Check
}

// Passed reports whether every rule passed.
func (r *Review) Passed() bool { return false }

// Review fetches and decrypts a submitted bill with the bureau's key, verifies its
// commitment and applies the automatic rules.
func (d *Desk) Review(ctx context.Context, id string) (*Review, error) { return nil, errNotYet }

// Approve countersigns the current revision of the bill (a finance clerk of its bureau).
// It refuses a bill whose payload does not match its commitment.
func (d *Desk) Approve(ctx context.Context, id string, p Progress) (*View, error) {
	return nil, errNotYet
}

// Reject refuses the current revision of the bill with a reason.
func (d *Desk) Reject(ctx context.Context, id, reason string, p Progress) (*View, error) {
	return nil, errNotYet
}

// AutoReport counts what AutoReview did.
type AutoReport struct {
	Approved int
	Held     []*Review // failed a rule: left in the queue for a clerk
	Failed   []error   // could not be reviewed or approved
}

// AutoReview reviews the whole queue of the desk's bureau and approves every bill that
// passes every rule, leaving the rest for a clerk.
func (d *Desk) AutoReview(ctx context.Context, p Progress) (AutoReport, error) {
	return AutoReport{}, errNotYet
}

// Issue has the ledger give an approved bill its number and check code and returns the
// issued bill, verified.
func (d *Desk) Issue(ctx context.Context, id string, p Progress) (*View, error) {
	return nil, errNotYet
}

// Reverse cancels an issued bill with a red bill (红冲): negated amounts, linked to the
// original, business serial the original's + "-R". It returns the red bill, issued.
func (d *Desk) Reverse(ctx context.Context, id, reason string, p Progress) (*View, error) {
	return nil, errNotYet
}

// Withdraw takes back a bill that has not been issued.
func (d *Desk) Withdraw(ctx context.Context, id, reason string, p Progress) (*View, error) {
	return nil, errNotYet
}

// Render writes the PDF of an issued bill to w with its proof bundle attached.
func (d *Desk) Render(ctx context.Context, w io.Writer, id string) (*View, error) {
	return nil, errNotYet
}

// Bundle is everything needed to verify an issued bill offline: the bill, the ledger record,
// its proof and the signed header that commits to it. It is embedded in the PDF as
// render.AttachmentName.
type Bundle struct{}

// Bundle makes the proof bundle of a bill the desk may read.
func (d *Desk) Bundle(ctx context.Context, id string) (*Bundle, error) { return nil, errNotYet }

// Marshal encodes the bundle as JSON.
func (b *Bundle) Marshal() ([]byte, error) { return nil, errNotYet }

// ParseBundle decodes a bundle made by Marshal.
func ParseBundle(data []byte) (*Bundle, error) { return nil, errNotYet }

// VerifyBundle checks a bundle offline and returns the bill it proves. chainID binds the
// chain; validatorsHash, when not nil, is the hash of a validator set the verifier trusts
// (the bundle's set must be it); without it the commit must carry more than two thirds of
// the power of the bundle's own validator set.
func VerifyBundle(b *Bundle, chainID string, validatorsHash []byte) (*View, error) {
	return nil, errNotYet
}

// GrantOrgKey hands the current key of the desk's org to a member (by signing key), so they
// can read its bills, old ones included.
func (d *Desk) GrantOrgKey(ctx context.Context, member ed25519.PublicKey, p Progress) error {
	return errNotYet
}

// RotateOrgKey gives org a new key and grants it to members (the signer included unless it
// is the admin). Bills submitted afterwards are closed to everyone else. It returns the new
// key epoch.
func (d *Desk) RotateOrgKey(ctx context.Context, org string, members []ed25519.PublicKey, p Progress) (uint32, error) {
	return 0, errNotYet
}
