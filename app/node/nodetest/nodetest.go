// Package nodetest holds what only the ledger's integration tests need: a TestMain that
// builds a command of this module once, committing a transaction and waiting for it, and
// reading a key with its proof checked against the node's own header (which checks the
// node's proofs, not the node). Running nodes and signing load is package localnet.
package nodetest

import (
	"context"
	"fmt"
	"os"
	"testing"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"ebill/app/node/localnet"
)

// WaitTx waits until the transaction with this hash is committed and returns its result.
// The node must index transactions (the kv indexer, as InitHome configures it).
func WaitTx(ctx context.Context, c rpcclient.Client, hash []byte) (*coretypes.ResultTx, error) {
	var res *coretypes.ResultTx
	var lastErr error
	err := localnet.Poll(ctx, func() bool {
		r, err := c.Tx(ctx, hash, false)
		if err != nil {
			lastErr = err
			return false
		}
		res = r
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("wait for tx %X (last error %v): %w", hash, lastErr, err)
	}
	return res, nil
}

// RPC is the client the helpers take; *rpchttp.HTTP is one.
type RPC = rpcclient.Client

// MainBuilding is a TestMain for packages whose tests run a command of this module as
// processes: it builds pkg once into a temporary directory, sets *bin to the binary, runs
// the tests and removes the directory. Pass its result to os.Exit.
func MainBuilding(m *testing.M, pkg string, bin *string) int {
	dir, err := os.MkdirTemp("", "ebill-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = localnet.Build(dir, pkg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
