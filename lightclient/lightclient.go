// Package lightclient is the desk's light node: it serves ledger data only after proving it
// against a header that CometBFT's light client has verified, so no single node, however it
// lies, can make the desk show a bill that is not on the ledger or hide one that is.
//
// Start it from a network file's trust root (the bureau hands one out; for the embedded
// node the node itself provides it):
//
//	c, err := lightclient.New(ctx, lightclient.Config{
//		ChainID: "ebill-demo", TrustHeight: 1, TrustHash: hash,
//		Primary: "http://127.0.0.1:26657", Witnesses: []string{"http://127.0.0.1:26657"},
//	}, dir, nil)
//	defer c.Close()
//	b, v, err := c.Bill(ctx, id) // v says where it was proven: height, app hash, header time
//
// The verified headers live in dir, so a restart resumes from there without the trust root
// (pass a Config with TrustHeight 0). Headers are verified by skipping verification (trust
// level 1/3) and cross-checked against the witnesses, in the background and before each read.
// A node that does not answer within Config.NodeTimeout counts as unreachable: a witness
// takes over as primary, and a read moves on to the next node. A node that answers is held
// to its answer.
//
// A read of key K takes the latest verified header L, asks a node for K at height L−1 with a
// proof, and accepts the answer only if the key and height are echoed, there is exactly one
// "ics23:iavl" proof op for K, and the value (or its absence) proves against L's app hash.
// ErrNotFound therefore means the absence was proven, not assumed.
//
// Errors callers branch on: ErrNotFound (proven absence), ErrVerification (an answer or a
// header was refused), ErrAttack (a witness signed a conflicting header: the session is
// over, the evidence is in dir, every further call fails), ErrTrustExpired (the trust root
// is older than the trusting period: re-import a network file), ErrClockDrift (this
// computer's clock is behind the chain) and ErrUnavailable (no node answered).
package lightclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	httpprovider "github.com/cometbft/cometbft/light/provider/http"
	"github.com/cometbft/cometbft/light/store"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"

	kv "ebill/app/store"
	"ebill/internal/httplimit"
)

var (
	// ErrNotFound: the ledger proved that the key is absent.
	ErrNotFound = errors.New("not on the ledger (absence proven)")
	// ErrVerification: an answer or a header failed verification and was refused.
	ErrVerification = errors.New("refused an unverifiable response")
	// ErrAttack: a witness holds a validly signed header that conflicts with the primary's.
	ErrAttack = errors.New("light client attack detected")
	// ErrTrustExpired: the latest trusted header is older than the trusting period.
	ErrTrustExpired = errors.New("trust expired")
	// ErrClockDrift: a header is dated too far ahead of this computer's clock.
	ErrClockDrift = errors.New("header from the future")
	// ErrUnavailable: no node could be reached or had the data yet.
	ErrUnavailable = errors.New("ledger unavailable")
	// ErrClosed: the light node was closed.
	ErrClosed = errors.New("light node closed")
)

// DefaultTrustingPeriod is how long a verified header may serve as the root for the next
// one. The validators are known hospitals and bureaus, not bonded stake, so the period
// bounds how long the keys of a validator set that has since changed can still mislead a
// desk that was offline; past it the desk needs a new network file.
const DefaultTrustingPeriod = 168 * time.Hour

// DefaultUpdateInterval is how often the background loop looks for a new header.
const DefaultUpdateInterval = time.Second

// DefaultNodeTimeout bounds one request to one node. A node that has not answered by then
// counts as unreachable, and the light node moves on to another: a dead or frozen node must
// cost a read seconds, not the read's whole deadline.
const DefaultNodeTimeout = 2 * time.Second

// Config says which chain to follow and whom to trust for the first header.
type Config struct {
	ChainID string
	// TrustHeight and TrustHash name the first trusted header. Both may be zero when dir
	// already holds verified headers of ChainID.
	TrustHeight int64
	TrustHash   []byte
	// TrustingPeriod defaults to DefaultTrustingPeriod.
	TrustingPeriod time.Duration
	// Primary and Witnesses are RPC addresses (http://host:port). At least one witness is
	// required; for a single node, repeat the primary.
	Primary   string
	Witnesses []string
	// UpdateInterval defaults to DefaultUpdateInterval.
	UpdateInterval time.Duration
	// NodeTimeout defaults to DefaultNodeTimeout.
	NodeTimeout time.Duration
}

// State is the light node's condition as a status bar shows it.
type State string

const (
	StateSyncing  State = "syncing"  // no header verified since start, or the last attempt failed
	StateVerified State = "verified" // the latest header was verified and cross-checked
	StateAttack   State = "attack"   // a witness disagreed: fatal, see ErrAttack
	StateExpired  State = "expired"  // see ErrTrustExpired
)

// Status describes the latest verified header and how the light node got it.
type Status struct {
	State  State
	Height int64
	Time   time.Time
	// Validators and TotalPower describe the validator set of the latest verified header;
	// SignedPercent is the share of TotalPower whose signatures on its commit verify.
	Validators    int
	TotalPower    int64
	SignedPercent float64
	Primary       string
	Witnesses     []string
	// Err is the last update's error (nil when the last update succeeded).
	Err error
}

// Verified says where a value (or its absence) was proven, and carries the proof: the state
// at Height, under AppHash, committed by the header at Height+1 dated HeaderTime and signed
// by validators holding SignedPercent of the voting power. Proof (a protobuf ics23
// CommitmentProof of the value or its absence), Header and Validators let anyone check it
// again offline, as a PDF's proof bundle does; they are shared, not copies: do not modify.
// Value is the proven bytes (nil for an absence), before any decoding.
type Verified struct {
	Value         []byte
	Height        int64
	AppHash       []byte
	HeaderTime    time.Time
	SignedPercent float64
	Proof         []byte
	Header        *types.SignedHeader
	Validators    *types.ValidatorSet
}

// Client is a light node. Its methods are safe for concurrent use.
type Client struct {
	cfg    Config
	dir    string
	db     dbm.DB
	lc     *light.Client
	nodes  map[string]*rpchttp.HTTP
	order  []string // Primary, then the witnesses not equal to it
	logger log.Logger
	now    func() time.Time
	// newProvider makes the light client's source of light blocks for an address.
	newProvider func(chainID, addr string) (provider.Provider, error)

	// verifyMu serializes the light client's verification: it writes the trusted store.
	verifyMu sync.Mutex

	mu      sync.Mutex
	fatal   error // set once an attack is detected; every call returns it
	closed  bool
	lastErr error
	// head is the latest verified header; headAt is when an update last confirmed it
	// (zero until the first update succeeds). triedAt is when the last update ended, with
	// or without success (lastErr).
	head    *types.LightBlock
	headAt  time.Time
	triedAt time.Time
	// primary and witnesses are the light client's providers as of the last update: asking
	// the light client may wait for its verification to finish.
	primary   string
	witnesses []string
	evidence  []reportedEvidence
	signed    signedCache

	stop context.CancelFunc
	done chan struct{}
}

// New starts a light node whose verified headers live in dir. It verifies the trust root
// (or restores the store), checks it is within the trusting period, and starts the
// background updates. logger may be nil.
func New(ctx context.Context, cfg Config, dir string, logger log.Logger) (*Client, error) {
	return open(ctx, cfg, dir, logger, hooks{now: time.Now, provider: newHTTPProvider})
}

// newHTTPProvider is CometBFT's HTTP provider over a client without its own timeout.
// httpprovider.New sets a 5 s client timeout and, when it expires, sleeps and retries up to
// five times; a frozen node then held an update for half a minute. The per-request timeout
// is watchedProvider's instead (Config.NodeTimeout).
func newHTTPProvider(chainID, addr string) (provider.Provider, error) {
	rc, err := httplimit.RPC(addr)
	if err != nil {
		return nil, err
	}
	return httpprovider.NewWithClient(chainID, rc), nil
}

// hooks are the parts tests replace: the clock, and where light blocks come from.
type hooks struct {
	now      func() time.Time
	provider func(chainID, addr string) (provider.Provider, error)
}

func open(ctx context.Context, cfg Config, dir string, logger log.Logger, h hooks) (*Client, error) {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	if cfg.TrustingPeriod == 0 {
		cfg.TrustingPeriod = DefaultTrustingPeriod
	}
	if cfg.UpdateInterval == 0 {
		cfg.UpdateInterval = DefaultUpdateInterval
	}
	if cfg.NodeTimeout == 0 {
		cfg.NodeTimeout = DefaultNodeTimeout
	}
	switch {
	case strings.TrimSpace(cfg.ChainID) == "":
		return nil, errors.New("light node: chain id is missing")
	case cfg.Primary == "":
		return nil, errors.New("light node: primary RPC address is missing")
	case len(cfg.Witnesses) == 0:
		return nil, errors.New("light node: no witness (for a single node, repeat the primary)")
	case cfg.TrustHeight < 0:
		return nil, fmt.Errorf("light node: trust height %d is negative", cfg.TrustHeight)
	}
	c := &Client{cfg: cfg, dir: dir, nodes: map[string]*rpchttp.HTTP{}, logger: logger, now: h.now, newProvider: h.provider}
	for _, addr := range append([]string{cfg.Primary}, cfg.Witnesses...) {
		if _, ok := c.nodes[addr]; ok {
			continue
		}
		rc, err := httplimit.RPC(addr)
		if err != nil {
			return nil, fmt.Errorf("light node: RPC address %q: %w", addr, err)
		}
		c.nodes[addr] = rc
		c.order = append(c.order, addr)
	}
	db, err := kv.Open("lightclient", dir)
	if err != nil {
		return nil, fmt.Errorf("light node: trusted store: %w", err)
	}
	c.db = db
	if err := c.start(ctx); err != nil {
		db.Close()
		return nil, err
	}
	loopCtx, stop := context.WithCancel(context.Background())
	c.stop, c.done = stop, make(chan struct{})
	go c.loop(loopCtx)
	return c, nil
}

func (c *Client) start(ctx context.Context) error {
	primary, err := c.provider(c.cfg.Primary)
	if err != nil {
		return err
	}
	witnesses := make([]provider.Provider, 0, len(c.cfg.Witnesses))
	for _, w := range c.cfg.Witnesses {
		p, err := c.provider(w)
		if err != nil {
			return err
		}
		witnesses = append(witnesses, p)
	}
	trusted := lazyPruneStore{lightdb.New(c.db, c.cfg.ChainID)}
	last, err := trusted.LastLightBlockHeight()
	if err != nil {
		return fmt.Errorf("light node: read trusted store in %s: %w", c.dir, err)
	}
	opts := []light.Option{
		light.SkippingVerification(light.DefaultTrustLevel),
		light.Logger(c.logger),
		light.PruningSize(keepHeaders),
		// Never roll the store back silently: a trust root older than what is stored is
		// checked against the store below instead.
		light.ConfirmationFunction(func(string) bool { return false }),
	}
	switch {
	case last == -1 && c.cfg.TrustHeight == 0:
		return fmt.Errorf("light node: no verified headers in %s and no trust root: import a network file from the finance bureau", c.dir)
	case c.cfg.TrustHeight > last:
		c.lc, err = light.NewClient(ctx, c.cfg.ChainID, light.TrustOptions{
			Period: c.cfg.TrustingPeriod, Height: c.cfg.TrustHeight, Hash: c.cfg.TrustHash,
		}, primary, witnesses, trusted, opts...)
	default:
		if c.cfg.TrustHeight > 0 {
			if lb, err := trusted.LightBlock(c.cfg.TrustHeight); err == nil && !bytes.Equal(lb.Hash(), c.cfg.TrustHash) {
				return fmt.Errorf("light node: the store in %s trusts header %X at height %d, the network file names %X: remove the store or import the right network file",
					c.dir, lb.Hash(), c.cfg.TrustHeight, c.cfg.TrustHash)
			}
		}
		c.lc, err = light.NewClientFromTrustedStore(c.cfg.ChainID, c.cfg.TrustingPeriod, primary, witnesses, trusted, opts...)
	}
	if err != nil {
		return fmt.Errorf("light node: start: %w", c.classify(err))
	}
	lb, err := c.lc.TrustedLightBlock(0)
	if err != nil {
		return fmt.Errorf("light node: read latest trusted header: %w", err)
	}
	c.head = lb
	c.noteProviders()
	return c.checkExpiry(lb)
}

// noteProviders records which providers the light client uses now; it may have promoted a
// witness or dropped one. Call it with verifyMu held.
func (c *Client) noteProviders() {
	addr := func(p provider.Provider) string { return p.(*watchedProvider).addr }
	primary := addr(c.lc.Primary())
	var witnesses []string
	for _, w := range c.lc.Witnesses() {
		witnesses = append(witnesses, addr(w))
	}
	c.mu.Lock()
	c.primary, c.witnesses = primary, witnesses
	c.mu.Unlock()
}

// keepHeaders is how many verified headers the store keeps (at least).
const keepHeaders = 1000

// lazyPruneStore prunes once the store holds twice keepHeaders instead of on every save:
// the light client's Prune walks the deleted keys from height 1 on each call, which made
// following the chain cost 10 ms a header after 10,000 headers instead of about 1.
type lazyPruneStore struct{ store.Store }

func (s lazyPruneStore) Prune(size uint16) error {
	if s.Size() < 2*size {
		return nil
	}
	return s.Store.Prune(size)
}

// checkExpiry refuses a trusted header past the trusting period: from it the light client
// could be led onto a chain forged with the keys of validators that have since left.
func (c *Client) checkExpiry(lb *types.LightBlock) error {
	if !light.HeaderExpired(lb.SignedHeader, c.cfg.TrustingPeriod, c.now()) {
		return nil
	}
	return c.expired(lb.Time.Add(c.cfg.TrustingPeriod))
}

func (c *Client) expired(at time.Time) error {
	return fmt.Errorf("%w at %s (trusting period %s): the light node can no longer verify headers on its own; re-import a network file from the finance bureau",
		ErrTrustExpired, at.UTC().Format(time.RFC3339), c.cfg.TrustingPeriod)
}

// provider wraps CometBFT's HTTP provider to see what the light client does not report:
// the evidence it sends, and whether a failure was a dead connection.
func (c *Client) provider(addr string) (provider.Provider, error) {
	p, err := c.newProvider(c.cfg.ChainID, addr)
	if err != nil {
		return nil, fmt.Errorf("light node: RPC address %q: %w", addr, err)
	}
	return &watchedProvider{Provider: p, addr: addr, c: c}, nil
}

// Close stops the background updates and closes the trusted store.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.stop()
	<-c.done
	c.verifyMu.Lock()
	defer c.verifyMu.Unlock()
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("light node: close trusted store: %w", err)
	}
	return nil
}

func (c *Client) loop(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(c.cfg.UpdateInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := c.update(ctx); err != nil && (errors.Is(err, ErrAttack) || errors.Is(err, ErrClosed)) {
				return
			}
		}
	}
}

// usable returns the error every call must fail with, if any.
func (c *Client) usable() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.fatal != nil:
		return c.fatal
	case c.closed:
		return ErrClosed
	}
	return nil
}

// update verifies the primary's latest header if it is new and returns the latest trusted
// light block.
//
// Callers that queued for verifyMu while another caller's update ran take that update's
// result instead of running their own: it asked the network after they did, so it is as
// fresh as theirs would be, and concurrent reads of a stale header would otherwise verify
// one header after another under the lock.
func (c *Client) update(ctx context.Context) (*types.LightBlock, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	asked := time.Now()
	c.verifyMu.Lock()
	defer c.verifyMu.Unlock()
	if err := c.usable(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	lb, err, shared := c.head, c.lastErr, c.triedAt.After(asked)
	c.mu.Unlock()
	// A failure that was only the other caller's deadline says nothing about the network.
	if shared && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		if err != nil {
			return nil, fmt.Errorf("light node: update headers: %w", err)
		}
		return lb, nil
	}
	lb, err = c.updateLocked(ctx)
	if err != nil {
		return nil, fmt.Errorf("light node: update headers: %w", err)
	}
	return lb, nil
}

// updateLocked runs one update of the light client and records its outcome; verifyMu must
// be held.
func (c *Client) updateLocked(ctx context.Context) (*types.LightBlock, error) {
	_, err := c.lc.Update(ctx, c.now())
	c.noteProviders()
	if err != nil {
		err = c.classify(err)
	} else {
		var lb *types.LightBlock
		if lb, err = c.lc.TrustedLightBlock(0); err == nil {
			err = c.checkExpiry(lb)
		}
		if err == nil {
			now := time.Now()
			c.mu.Lock()
			c.head, c.headAt, c.triedAt, c.lastErr = lb, now, now, nil
			c.mu.Unlock()
			return lb, nil
		}
	}
	c.mu.Lock()
	c.triedAt, c.lastErr = time.Now(), err
	c.mu.Unlock()
	return nil, err
}

// classify maps the light client's errors onto the package's sentinels. An attack makes the
// session fatal here, so no caller can forget to.
func (c *Client) classify(err error) error {
	var (
		conflict light.ErrConflictingHeaders
		diverge  light.ErrProposerPrioritiesDiverge
		expired  light.ErrOldHeaderExpired
		invalid  light.ErrInvalidHeader
		bad      provider.ErrBadLightBlock
		failed   light.ErrVerificationFailed
	)
	switch {
	case errors.Is(err, light.ErrLightClientAttack) || errors.As(err, &conflict) || errors.As(err, &diverge):
		return c.attacked(err)
	case errors.As(err, &expired):
		return c.expired(expired.At)
	// The light client reports a future header only in its message; the check matters
	// because the fix (the clock) is on this computer, not on the network.
	case errors.As(err, &invalid) && strings.Contains(invalid.Reason.Error(), "from the future"):
		return fmt.Errorf("%w: check this computer's clock (a node may also be sending a forged header): %w", ErrClockDrift, err)
	case errors.As(err, &invalid) || errors.As(err, &bad) || errors.As(err, &failed) || trustRootRefused(err):
		return fmt.Errorf("%w: header: %w", ErrVerification, err)
	case errors.Is(err, provider.ErrNoResponse) || errors.Is(err, provider.ErrLightBlockNotFound) ||
		errors.Is(err, provider.ErrHeightTooHigh) || errors.Is(err, light.ErrNoWitnesses) ||
		errors.Is(err, light.ErrFailedHeaderCrossReferencing) || isTransport(err):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// trustRootRefused reports the light client's refusals of the trust root's header, which
// it returns as plain errors (light.Client.initializeWithTrustOptions): a header whose hash
// is not the network file's, or one whose commit does not verify. Either means the network
// file or the primary is forged, which is a verification failure, not an outage.
func trustRootRefused(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "expected header's hash ") || strings.HasPrefix(msg, "invalid commit: ")
}

// isTransport reports an error of the connection, not of the answer. An answer cut off at
// httplimit.MaxBody is none: the node is broken or hostile, and another may answer.
func isTransport(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) || errors.Is(err, httplimit.ErrTooLarge)
}

// Status reports the latest verified header and the light node's state.
func (c *Client) Status() Status {
	c.mu.Lock()
	fatal, lastErr, lb, updated := c.fatal, c.lastErr, c.head, !c.headAt.IsZero()
	st := Status{State: StateSyncing, Err: lastErr, Primary: c.primary, Witnesses: slices.Clone(c.witnesses)}
	c.mu.Unlock()
	switch {
	case fatal != nil:
		st.State, st.Err = StateAttack, fatal
	case errors.Is(lastErr, ErrTrustExpired):
		st.State = StateExpired
	case updated && lastErr == nil:
		st.State = StateVerified
	}
	st.Height, st.Time = lb.Height, lb.Time
	st.Validators, st.TotalPower = lb.ValidatorSet.Size(), lb.ValidatorSet.TotalVotingPower()
	st.SignedPercent = c.signedPercent(lb)
	return st
}
