// Package httplimit bounds what a desk, a node or a tool reads from a ledger node over HTTP:
// a node that answers with an endless body (hostile, or broken) costs the reader at most
// MaxBody bytes and a clear error, not all of its memory.
package httplimit

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
)

// MaxBody is the largest response body read from a node. The largest honest answers:
//   - /block of a full block: 4 MiB of transactions (CometBFT v1's default block size),
//     base64 in JSON, is about 5.4 MiB;
//   - /block_results of that block: the smallest transaction with an outcome (an issue:
//     envelope, key, bill id, signature) is about 130 bytes, and its result in JSON about
//     five times that (650 bytes: the "ebill" event repeats the signer in hex and the bill
//     id, and names every field; measured with cmtjson), so about 20 MiB for a full block;
//   - a list page: 100 records of at most 64 KiB (wire.MaxTxSize), about 8.4 MiB in base64.
//
// 32 MiB holds the largest with half again to spare. It assumes the ledger's logs and events
// never quote a transaction at length: one that did could make a block's results outgrow it.
const MaxBody = 32 << 20

// ErrTooLarge is wrapped by the error of a response whose body exceeds MaxBody.
var ErrTooLarge = errors.New("response body too large")

// Transport is an http.RoundTripper whose responses fail with ErrTooLarge once their body
// passes MaxBody bytes, instead of reading on. It bounds the body as the client sees it,
// after any transparent gzip decoding, so a compressed bomb is bounded too.
type Transport struct {
	Base http.RoundTripper // nil means http.DefaultTransport
}

func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	tooLarge := fmt.Errorf("%s %s%s: response body exceeds %d MiB: %w", req.Method, req.URL.Host, req.URL.Path, MaxBody>>20, ErrTooLarge)
	if resp.ContentLength > MaxBody {
		resp.Body.Close()
		return nil, tooLarge
	}
	resp.Body = &body{ReadCloser: resp.Body, left: MaxBody, tooLarge: tooLarge}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the base transport.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.Base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// body passes at most left more bytes, then fails with tooLarge for good.
type body struct {
	io.ReadCloser
	left     int64 // -1 once exceeded
	tooLarge error
}

func (b *body) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.tooLarge
	}
	// One byte past the limit tells a body that ends exactly there from a longer one.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), -1
		return n, b.tooLarge
	}
	b.left -= int64(n)
	return n, err
}

// RPC is CometBFT's RPC client for addr (http://, https://, tcp:// or unix://, as
// rpchttp.New takes it) with its responses bounded by MaxBody.
func RPC(addr string) (*rpchttp.HTTP, error) {
	hc, err := jsonrpcclient.DefaultHTTPClient(addr)
	if err != nil {
		return nil, err
	}
	hc.Transport = &Transport{Base: hc.Transport}
	return rpchttp.NewWithClient(addr, hc)
}
