package lightclient

import (
	"bytes"
	"context"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

// TxResult is a transaction proven to be in a block, with its proven outcome. Code 0 means
// the ledger accepted it; a rejected transaction is still in the block.
type TxResult struct {
	Height int64 // the block that holds the transaction
	Index  int
	Tx     []byte
	Code   uint32
	Data   []byte
	// Verified is the header at Height+1, which commits to the block's results; its
	// Height equals the TxResult's.
	Verified Verified
}

// VerifyTx proves that the transaction with the given hash is in a block (against the
// verified header's data hash) and what the ledger answered (against the results hash in
// the next header). It waits for that next header, bounded by ctx.
func (c *Client) VerifyTx(ctx context.Context, hash []byte) (TxResult, error) {
	if err := c.usable(); err != nil {
		return TxResult{}, err
	}
	refuse := func(format string, args ...any) (TxResult, error) {
		return TxResult{}, fmt.Errorf("%w: tx %X: %s", ErrVerification, hash, fmt.Sprintf(format, args...))
	}
	var res *ctypes.ResultTx
	err := c.eachNode(ctx, func(ctx context.Context, rc rpcclient.Client) (err error) {
		res, err = rc.Tx(ctx, hash, true)
		return err
	})
	if err != nil {
		return TxResult{}, fmt.Errorf("find tx %X: %w", hash, err)
	}
	tx := types.Tx(res.Tx)
	switch {
	case !bytes.Equal(tx.Hash(), hash):
		return refuse("node answered with tx %X", tx.Hash())
	case !bytes.Equal(res.Proof.Data, tx):
		return refuse("the proof is for another tx")
	case res.Proof.Proof.Index != int64(res.Index):
		return refuse("the proof is for index %d, the node says %d", res.Proof.Proof.Index, res.Index)
	case res.Height < 1:
		return refuse("node answered height %d", res.Height)
	}
	results, err := c.waitHeader(ctx, res.Height+1)
	if err != nil {
		return TxResult{}, err
	}
	block, err := c.lightBlockAt(ctx, res.Height)
	if err != nil {
		return TxResult{}, err
	}
	if err := res.Proof.Validate(block.DataHash); err != nil {
		return refuse("not in block %d (data hash %X): %v", res.Height, block.DataHash, err)
	}
	var br *ctypes.ResultBlockResults
	err = c.eachNode(ctx, func(ctx context.Context, rc rpcclient.Client) (err error) {
		br, err = rc.BlockResults(ctx, &res.Height)
		return err
	})
	if err != nil {
		return TxResult{}, fmt.Errorf("results of block %d: %w", res.Height, err)
	}
	switch {
	case int64(len(br.TxResults)) != res.Proof.Proof.Total:
		return refuse("block %d has %d txs, its results %d", res.Height, res.Proof.Proof.Total, len(br.TxResults))
	case !bytes.Equal(types.NewResults(br.TxResults).Hash(), results.LastResultsHash):
		return refuse("results of block %d do not match the results hash %X in header %d", res.Height, results.LastResultsHash, results.Height)
	}
	r := br.TxResults[res.Index]
	return TxResult{
		Height: res.Height, Index: int(res.Index), Tx: tx, Code: r.Code, Data: r.Data,
		Verified: c.verified(results),
	}, nil
}
