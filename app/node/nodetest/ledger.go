package nodetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	ics23 "github.com/cosmos/ics23/go"

	"ebill/app/node/localnet"
	"ebill/app/wire"
)

// ErrRefused is wrapped by Broadcast and Commit when the ledger refuses a transaction.
var ErrRefused = errors.New("transaction refused")

// Broadcast sends tx with broadcast_tx_sync and returns its hash once CheckTx accepted it.
func Broadcast(ctx context.Context, c rpcclient.Client, tx []byte) ([]byte, error) {
	res, err := c.BroadcastTxSync(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	if res.Code != 0 {
		return res.Hash, fmt.Errorf("%w by CheckTx: code %d (%s): %s", ErrRefused, res.Code, wire.Code(res.Code), res.Log)
	}
	return res.Hash, nil
}

// Commit broadcasts tx and waits until it is committed with code 0.
func Commit(ctx context.Context, c rpcclient.Client, tx []byte) (*coretypes.ResultTx, error) {
	hash, err := Broadcast(ctx, c, tx)
	if err != nil {
		return nil, err
	}
	res, err := WaitTx(ctx, c, hash)
	if err != nil {
		return nil, err
	}
	if res.TxResult.Code != 0 {
		return res, fmt.Errorf("%w in block %d: code %d (%s): %s", ErrRefused, res.Height,
			res.TxResult.Code, wire.Code(res.TxResult.Code), res.TxResult.Log)
	}
	return res, nil
}

// Query reads key at height h with a proof and checks the answer's shape: code 0, the key
// echoed, height h, exactly one ics23:iavl proof op. It returns the value (nil when
// absent) and the decoded proof, unverified.
func Query(ctx context.Context, c rpcclient.Client, key []byte, h int64) ([]byte, *ics23.CommitmentProof, error) {
	res, err := c.ABCIQueryWithOptions(ctx, wire.QueryKey, key, rpcclient.ABCIQueryOptions{Height: h, Prove: true})
	if err != nil {
		return nil, nil, fmt.Errorf("query %q at %d: %w", key, h, err)
	}
	r := res.Response
	switch {
	case r.Code != 0:
		return nil, nil, fmt.Errorf("query %q at %d: code %d: %s", key, h, r.Code, r.Log)
	case !bytes.Equal(r.Key, key):
		return nil, nil, fmt.Errorf("query %q at %d: answer for key %q", key, h, r.Key)
	case r.Height != h:
		return nil, nil, fmt.Errorf("query %q at %d: answer at height %d", key, h, r.Height)
	case r.ProofOps == nil || len(r.ProofOps.Ops) != 1 || r.ProofOps.Ops[0].Type != "ics23:iavl":
		return nil, nil, fmt.Errorf("query %q at %d: want one ics23:iavl proof op, got %v", key, h, r.ProofOps)
	}
	var p ics23.CommitmentProof
	if err := p.Unmarshal(r.ProofOps.Ops[0].Data); err != nil {
		return nil, nil, fmt.Errorf("query %q at %d: proof: %w", key, h, err)
	}
	if len(r.Value) == 0 {
		return nil, &p, nil
	}
	return r.Value, &p, nil
}

// AppHash returns the app hash committed for the state after block h: the one in header
// h+1, waiting for that header.
func AppHash(ctx context.Context, c rpcclient.Client, h int64) ([]byte, error) {
	if _, err := localnet.WaitHeight(ctx, c, h+1); err != nil {
		return nil, err
	}
	next := h + 1
	com, err := c.Commit(ctx, &next)
	if err != nil {
		return nil, fmt.Errorf("header %d: %w", next, err)
	}
	return com.SignedHeader.Header.AppHash, nil
}

// Proven reads key at height h and verifies the value, or its absence (nil), against the
// app hash in header h+1. The header is the node's word, not a light client's: this checks
// the node's proofs, not the node.
func Proven(ctx context.Context, c rpcclient.Client, key []byte, h int64) ([]byte, error) {
	root, err := AppHash(ctx, c, h)
	if err != nil {
		return nil, err
	}
	value, p, err := Query(ctx, c, key, h)
	if err != nil {
		return nil, err
	}
	if value == nil {
		if !ics23.VerifyNonMembership(ics23.IavlSpec, root, p, key) {
			return nil, fmt.Errorf("query %q at %d: absence proof does not verify against app hash %X", key, h, root)
		}
		return nil, nil
	}
	if !ics23.VerifyMembership(ics23.IavlSpec, root, p, key, value) {
		return nil, fmt.Errorf("query %q at %d: proof does not verify against app hash %X", key, h, root)
	}
	return value, nil
}
