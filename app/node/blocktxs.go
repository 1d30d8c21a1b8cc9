package node

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
)

// TxOutcome is one transaction of a committed block as the node reports it: its hash (the
// SHA-256 of its bytes, as CometBFT names transactions) and the parts of its result a
// sender acts on.
type TxOutcome struct {
	Hash [32]byte
	Code uint32
	Data []byte
	Log  string
}

// CommittedTxs returns the transactions of block h and their results, in block order, from
// the node whose RPC is at addr (http://host:port). A block without transactions costs one
// small request.
//
// It reads GET /block and /block_results into only the fields it returns. rpcclient decodes
// a whole block twice, with reflection, into every field of every header and commit: for
// blocks of a few hundred 4 KB bills that was most of the CPU of a desk or bench that
// watches for commits, and more than the node spent serving the block.
// An error the node answers is an *rpctypes.RPCError.
func CommittedTxs(ctx context.Context, hc *http.Client, addr string, h int64) ([]TxOutcome, error) {
	var blk struct {
		Block struct {
			Data struct {
				Txs [][]byte `json:"txs"`
			} `json:"data"`
		} `json:"block"`
	}
	if err := rpcGet(ctx, hc, addr, "block", h, &blk); err != nil {
		return nil, err
	}
	txs := blk.Block.Data.Txs
	if len(txs) == 0 {
		return nil, nil
	}
	var res struct {
		TxResults []struct {
			Code uint32 `json:"code"`
			Data []byte `json:"data"`
			Log  string `json:"log"`
		} `json:"txs_results"`
	}
	if err := rpcGet(ctx, hc, addr, "block_results", h, &res); err != nil {
		return nil, err
	}
	if len(res.TxResults) != len(txs) {
		return nil, fmt.Errorf("block %d has %d transactions and %d results", h, len(txs), len(res.TxResults))
	}
	out := make([]TxOutcome, len(txs))
	for i, tx := range txs {
		r := res.TxResults[i]
		out[i] = TxOutcome{Hash: sha256.Sum256(tx), Code: r.Code, Data: r.Data, Log: r.Log}
	}
	return out, nil
}

// rpcGet calls a CometBFT URI endpoint that takes a height and decodes its result into
// result in one pass.
func rpcGet(ctx context.Context, hc *http.Client, addr, method string, h int64, result any) error {
	url := fmt.Sprintf("%s/%s?height=%d", strings.TrimSuffix(addr, "/"), method, h)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%s %d: %w", method, h, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %d: %w", method, h, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %d: read response: %w", method, h, err)
	}
	env := struct {
		Result any                `json:"result"`
		Error  *rpctypes.RPCError `json:"error"`
	}{Result: result}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s %d: HTTP %d: %w", method, h, resp.StatusCode, err)
	}
	if env.Error != nil {
		return env.Error
	}
	return nil
}
