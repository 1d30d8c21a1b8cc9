package lightclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/types"

	"ebill/app/wire"
)

// Get returns the value stored under key in the state proven by the latest verified header.
// When the key is absent it returns ErrNotFound, and v still says where the absence was
// proven.
func (c *Client) Get(ctx context.Context, key []byte) (value []byte, v Verified, err error) {
	s, err := c.Latest(ctx)
	if err != nil {
		return nil, Verified{}, err
	}
	return s.Get(ctx, key)
}

// Snapshot is the ledger's state as one verified header proves it: every read through it
// stands at the same height, so a record and its payload, or an index and what it names,
// never come from two different states.
type Snapshot struct {
	c  *Client
	lb *types.LightBlock
}

// Latest returns the state that the latest verified header proves.
func (c *Client) Latest(ctx context.Context) (*Snapshot, error) {
	lb, err := c.latest(ctx)
	if err != nil {
		return nil, err
	}
	return &Snapshot{c: c, lb: lb}, nil
}

// Height is the state's height (one below its header's).
func (s *Snapshot) Height() int64 { return s.lb.Height - 1 }

// Get is Client.Get in this state.
func (s *Snapshot) Get(ctx context.Context, key []byte) ([]byte, Verified, error) {
	return s.c.getAt(ctx, s.lb, key)
}

// latest returns the latest verified header, which must be able to prove a state. It
// brings the headers up to date first unless an update confirmed them within the last
// UpdateInterval: verifying a new header (a cross-check and a synced write) is what makes
// a read slow, and the background loop does it anyway. After writing at height H, call
// WaitHeight(H) to read what was written.
func (c *Client) latest(ctx context.Context) (*types.LightBlock, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	lb, fresh := c.head, !c.headAt.IsZero() && time.Since(c.headAt) < c.cfg.UpdateInterval
	c.mu.Unlock()
	if !fresh {
		var err error
		if lb, err = c.updateRetrying(ctx); err != nil {
			return nil, err
		}
	}
	if lb.Height < 2 {
		return nil, fmt.Errorf("%w: no state is provable before header 2 (latest verified is %d)", ErrUnavailable, lb.Height)
	}
	return lb, nil
}

// updateRetrying is update, tried again for up to two node timeouts while the ledger is
// unavailable. Right after a validator dies, or while one restarted is catching up, a new
// header can find no witness left to cross-check it; a moment later one has it, and a read
// should not fail for that moment.
func (c *Client) updateRetrying(ctx context.Context) (*types.LightBlock, error) {
	const poll = 100 * time.Millisecond
	giveUp := time.Now().Add(2 * c.cfg.NodeTimeout)
	for {
		lb, err := c.update(ctx)
		if err == nil || !errors.Is(err, ErrUnavailable) || time.Now().After(giveUp) {
			return lb, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(poll):
		}
	}
}

// getAt reads key in the state that the verified header lb commits to (after block
// lb.Height-1).
func (c *Client) getAt(ctx context.Context, lb *types.LightBlock, key []byte) ([]byte, Verified, error) {
	height := lb.Height - 1
	var res *abci.QueryResponse
	err := c.eachNode(ctx, func(ctx context.Context, rc rpcclient.Client) error {
		r, err := rc.ABCIQueryWithOptions(ctx, wire.QueryKey, key, rpcclient.ABCIQueryOptions{Height: height, Prove: true})
		if err != nil {
			return err
		}
		if behind(&r.Response, height) {
			return fmt.Errorf("%w: %s", errBehind, r.Response.Log)
		}
		res = &r.Response
		return nil
	})
	if err != nil {
		return nil, Verified{}, fmt.Errorf("get %x at height %d: %w", key, height, err)
	}
	value, found, err := verifyQuery(c.cfg.ChainID, key, height, lb.Header, res)
	if err != nil {
		return nil, Verified{}, err
	}
	v := c.verified(lb)
	v.Proof, v.Value = res.ProofOps.Ops[0].Data, value
	if !found {
		return nil, v, fmt.Errorf("key %q at height %d: %w", key, height, ErrNotFound)
	}
	return value, v, nil
}

// WaitHeight waits until the state after block height can be proven (the header at
// height+1 is verified) and returns where it can. Use it after a transaction committed at
// height to read what it wrote.
func (c *Client) WaitHeight(ctx context.Context, height int64) (Verified, error) {
	lb, err := c.waitHeader(ctx, height+1)
	if err != nil {
		return Verified{}, err
	}
	return c.verified(lb), nil
}

// waitHeader returns the verified header at height, waiting for the chain to reach it.
func (c *Client) waitHeader(ctx context.Context, height int64) (*types.LightBlock, error) {
	const poll = 50 * time.Millisecond
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		lb, err := c.update(ctx)
		if err != nil && !errors.Is(err, ErrUnavailable) {
			return nil, err
		}
		if err == nil && lb.Height >= height {
			return c.lightBlockAt(ctx, height)
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("latest verified header is %d", lb.Height)
			}
			return nil, fmt.Errorf("%w: wait for header %d: %w (%v)", ErrUnavailable, height, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// lightBlockAt verifies (or finds in the store) the header at height, which must not be
// above the latest verified one.
func (c *Client) lightBlockAt(ctx context.Context, height int64) (*types.LightBlock, error) {
	c.verifyMu.Lock()
	defer c.verifyMu.Unlock()
	if err := c.usable(); err != nil {
		return nil, err
	}
	lb, err := c.lc.VerifyLightBlockAtHeight(ctx, height, c.now())
	if err != nil {
		return nil, fmt.Errorf("light node: verify header %d: %w", height, c.classify(err))
	}
	return lb, nil
}

// errBehind: a node answered that it has not committed the asked height (yet).
var errBehind = errors.New("node does not have that height")

// behind reports the ledger's refusal of a query at a height it has not committed, or no
// longer keeps: code NotFound with no proof. A validator that restarted is behind for a
// while, and the light client may have made it the primary.
func behind(res *abci.QueryResponse, height int64) bool {
	return res.Code == uint32(wire.CodeNotFound) && res.ProofOps == nil && res.Height == height
}

// eachNode runs call against the light client's current primary first, then every other
// configured node, moving on only when a node cannot be reached within Config.NodeTimeout
// or says it does not have the height (errBehind). A node that answers is held to its
// answer: a refused answer is not retried elsewhere, so a lie is reported. Skipping a node
// that says it is behind gives a liar nothing: it could as well have hung up.
func (c *Client) eachNode(ctx context.Context, call func(context.Context, rpcclient.Client) error) error {
	order := c.order
	c.mu.Lock()
	primary := c.primary
	c.mu.Unlock()
	if primary != order[0] {
		order = append([]string{primary}, order...)
	}
	var errs []error
	for i, addr := range order {
		if i > 0 && addr == order[0] {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, c.cfg.NodeTimeout)
		err := call(actx, c.nodes[addr])
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !isTransport(err) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, errBehind) {
			return fmt.Errorf("node %s: %w", addr, err)
		}
		errs = append(errs, fmt.Errorf("node %s: %w", addr, err))
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, errors.Join(errs...))
}

func (c *Client) verified(lb *types.LightBlock) Verified {
	return Verified{
		Height:        lb.Height - 1,
		AppHash:       bytes.Clone(lb.AppHash),
		HeaderTime:    lb.Time,
		SignedPercent: c.signedPercent(lb),
		Header:        lb.SignedHeader,
		Validators:    lb.ValidatorSet,
	}
}

// signedCache remembers the share of power behind the latest header, so that reads do not
// verify every signature again.
type signedCache struct {
	mu      sync.Mutex
	hash    []byte
	percent float64
}

// signedPercent is the share of the voting power whose commit signatures on lb verify. The
// light client stops checking once more than 2/3 signed, so the rest are checked here before
// the desk claims them.
func (c *Client) signedPercent(lb *types.LightBlock) float64 {
	c.signed.mu.Lock()
	defer c.signed.mu.Unlock()
	hash := lb.Hash()
	if bytes.Equal(hash, c.signed.hash) {
		return c.signed.percent
	}
	vals, commit := lb.ValidatorSet, lb.Commit
	if len(vals.Validators) != len(commit.Signatures) || vals.TotalVotingPower() == 0 {
		return 0
	}
	var signed int64
	for i, cs := range commit.Signatures {
		val := vals.Validators[i]
		if cs.BlockIDFlag != types.BlockIDFlagCommit || !bytes.Equal(cs.ValidatorAddress, val.Address) {
			continue
		}
		if val.PubKey.VerifySignature(commit.VoteSignBytes(c.cfg.ChainID, int32(i)), cs.Signature) {
			signed += val.VotingPower
		}
	}
	c.signed.hash = hash
	c.signed.percent = 100 * float64(signed) / float64(vals.TotalVotingPower())
	return c.signed.percent
}
