package lightclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	"github.com/cometbft/cometbft/types"
)

// watchedProvider is CometBFT's HTTP provider with these changes. It keeps the evidence the
// light client sends (the light client only logs it, and the desk must keep it). It gives
// each request Config.NodeTimeout and reports a dead or frozen node as
// provider.ErrNoResponse: the light client then promotes a witness in its place, or skips
// it as a witness, and keeps it for when it returns instead of dropping it as malicious for
// good. And it reports a node that is behind as not having the header yet (see LightBlock).
type watchedProvider struct {
	provider.Provider
	addr string
	c    *Client
}

func (p *watchedProvider) String() string { return p.addr }

func (p *watchedProvider) LightBlock(ctx context.Context, height int64) (*types.LightBlock, error) {
	actx, cancel := context.WithTimeout(ctx, p.c.cfg.NodeTimeout)
	defer cancel()
	lb, err := p.Provider.LightBlock(actx, height)
	switch {
	case err == nil || ctx.Err() != nil:
		return lb, err
	case isTransport(err) || errors.Is(err, context.DeadlineExceeded):
		return nil, provider.ErrNoResponse
	case errors.Is(err, provider.ErrHeightTooHigh) && height > 0:
		// A witness behind the primary's header (a validator catching up after a restart)
		// makes the light client's detector sleep 2×clock drift + block lag, 30 s that no
		// context cuts short, holding every read. Not having the header yet is what such a
		// witness tells: the header is still accepted only once a witness holds the same
		// one. The primary's path handles both errors alike.
		return nil, provider.ErrLightBlockNotFound
	}
	return lb, err
}

func (p *watchedProvider) ReportEvidence(ctx context.Context, ev types.Evidence) error {
	p.c.mu.Lock()
	p.c.evidence = append(p.c.evidence, reportedEvidence{To: p.addr, Evidence: ev})
	p.c.mu.Unlock()
	return p.Provider.ReportEvidence(ctx, ev)
}

type reportedEvidence struct {
	To       string         `json:"reported_to"`
	Evidence types.Evidence `json:"evidence"`
}

// attackRecord is what the evidence file holds: enough for the bureau to see which nodes
// signed what.
type attackRecord struct {
	DetectedAt time.Time          `json:"detected_at"`
	ChainID    string             `json:"chain_id"`
	Primary    string             `json:"primary"`
	Witnesses  []string           `json:"witnesses"`
	Error      string             `json:"error"`
	Evidence   []reportedEvidence `json:"evidence,omitempty"`
	// ConflictingBlock is a witness's header at the trust root that differs from the
	// primary's; the light client reports it instead of evidence.
	ConflictingBlock *types.LightBlock `json:"conflicting_block,omitempty"`
	PrimaryBlock     *types.LightBlock `json:"primary_block,omitempty"`
}

// attacked makes the session fatal, keeps the evidence in the store's directory and returns
// the error every later call gets.
func (c *Client) attacked(cause error) error {
	c.mu.Lock()
	fatal, evidence := c.fatal, append([]reportedEvidence(nil), c.evidence...)
	c.mu.Unlock()
	if fatal != nil {
		return fatal
	}
	rec := attackRecord{
		DetectedAt: c.now().UTC(),
		ChainID:    c.cfg.ChainID,
		Primary:    c.cfg.Primary,
		Witnesses:  c.cfg.Witnesses,
		Error:      cause.Error(),
		Evidence:   evidence,
	}
	var conflict light.ErrConflictingHeaders
	if errors.As(cause, &conflict) {
		rec.ConflictingBlock = conflict.Block
		// Only the trust root is compared this way, and the light client did not keep the
		// primary's copy; ask again so the file holds both sides.
		if p, err := c.provider(c.cfg.Primary); err == nil {
			if lb, err := p.LightBlock(context.Background(), conflict.Block.Height); err == nil {
				rec.PrimaryBlock = lb
			}
		}
	}
	where := c.writeEvidence(rec)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fatal == nil {
		c.fatal = fmt.Errorf("%w: a witness holds a validly signed header that conflicts with the primary's; "+
			"this network cannot be trusted until the finance bureau investigates (%s): %w", ErrAttack, where, cause)
	}
	return c.fatal
}

func (c *Client) writeEvidence(rec attackRecord) string {
	data, err := cmtjson.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Sprintf("evidence not saved: %v", err)
	}
	path := filepath.Join(c.dir, "attack-evidence-"+rec.DetectedAt.Format("20060102T150405.000000000Z")+".json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Sprintf("evidence not saved: %v", err)
	}
	return "evidence in " + path
}
