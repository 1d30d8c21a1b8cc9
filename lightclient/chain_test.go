package lightclient

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/light/provider"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// makeChain signs n headers of chainID with nVals validators of equal power, one every
// step from start. The headers carry no transactions; what the light client checks (hashes
// chaining, validator sets, commit signatures, times) is real.
func makeChain(tb testing.TB, chainID string, nVals, n int, start time.Time, step time.Duration) []*types.LightBlock {
	tb.Helper()
	pvs := map[string]types.MockPV{}
	vals := make([]*types.Validator, nVals)
	for i := range vals {
		pv := types.NewMockPV()
		pk, err := pv.GetPubKey()
		if err != nil {
			tb.Fatal(err)
		}
		vals[i] = types.NewValidator(pk, 10)
		pvs[string(pk.Address())] = pv
	}
	vs := types.NewValidatorSet(vals)
	blocks := make([]*types.LightBlock, 0, n)
	var last types.BlockID
	for h := int64(1); h <= int64(n); h++ {
		header := &types.Header{
			Version:            cmtversion.Consensus{Block: version.BlockProtocol},
			ChainID:            chainID,
			Height:             h,
			Time:               start.Add(time.Duration(h) * step),
			LastBlockID:        last,
			ValidatorsHash:     vs.Hash(),
			NextValidatorsHash: vs.Hash(),
			ConsensusHash:      tmhash.Sum([]byte("params")),
			AppHash:            tmhash.Sum([]byte(fmt.Sprint(h))),
			DataHash:           types.Txs{}.Hash(),
			ProposerAddress:    vs.Validators[int(h)%nVals].Address,
		}
		id := types.BlockID{Hash: header.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: tmhash.Sum(header.Hash())}}
		sigs := make([]types.CommitSig, nVals)
		for i, val := range vs.Validators {
			vote := &types.Vote{
				Type: types.PrecommitType, Height: h, BlockID: id, Timestamp: header.Time.Add(step / 2),
				ValidatorAddress: val.Address, ValidatorIndex: int32(i),
			}
			pb := vote.ToProto()
			if err := pvs[string(val.Address)].SignVote(chainID, pb, false); err != nil {
				tb.Fatal(err)
			}
			vote.Signature = pb.Signature
			sigs[i] = vote.CommitSig()
		}
		blocks = append(blocks, &types.LightBlock{
			SignedHeader: &types.SignedHeader{Header: header, Commit: &types.Commit{Height: h, BlockID: id, Signatures: sigs}},
			ValidatorSet: vs,
		})
		last = id
	}
	return blocks
}

// memProvider serves a made chain up to a head that the test moves.
type memProvider struct {
	chainID string
	blocks  []*types.LightBlock
	mu      sync.Mutex
	head    int64
}

func (p *memProvider) ChainID() string { return p.chainID }

func (p *memProvider) setHead(h int64) {
	p.mu.Lock()
	p.head = h
	p.mu.Unlock()
}

func (p *memProvider) LightBlock(_ context.Context, height int64) (*types.LightBlock, error) {
	p.mu.Lock()
	head := p.head
	p.mu.Unlock()
	switch {
	case height == 0:
		height = head
	case height > head:
		return nil, provider.ErrHeightTooHigh
	}
	return p.blocks[height-1], nil
}

func (*memProvider) ReportEvidence(context.Context, types.Evidence) error { return nil }

// openMem opens a light node in dir over blocks served by two memory providers (primary and
// witness), trusting header 1, with its clock at now.
func openMem(tb testing.TB, blocks []*types.LightBlock, head int64, dir string, now func() time.Time) (*Client, map[string]*memProvider, error) {
	tb.Helper()
	cfg := Config{
		ChainID: blocks[0].ChainID, TrustHeight: 1, TrustHash: blocks[0].Hash(),
		Primary: "http://127.0.0.1:1", Witnesses: []string{"http://127.0.0.1:2"},
		UpdateInterval: time.Hour, // the tests and benchmarks drive the updates
	}
	return openMemConfig(tb, cfg, blocks, head, dir, now, nil)
}

// openMemConfig opens a light node with cfg over blocks served by one memory provider per
// address, each passed through wrap (when not nil) to the light node.
func openMemConfig(tb testing.TB, cfg Config, blocks []*types.LightBlock, head int64, dir string, now func() time.Time,
	wrap func(addr string, p *memProvider) provider.Provider) (*Client, map[string]*memProvider, error) {
	tb.Helper()
	provs := map[string]*memProvider{}
	h := hooks{now: now, provider: func(chainID, addr string) (provider.Provider, error) {
		p := &memProvider{chainID: chainID, blocks: blocks, head: head}
		provs[addr] = p
		if wrap != nil {
			return wrap(addr, p), nil
		}
		return p, nil
	}}
	c, err := open(context.Background(), cfg, dir, nil, h)
	return c, provs, err
}
