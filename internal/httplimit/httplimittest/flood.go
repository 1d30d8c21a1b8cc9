// Package httplimittest holds what tests of bounded readers need: a node that floods.
package httplimittest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"ebill/internal/httplimit"
)

// FloodSize is how much a Flood sends at most: endless to any reader that stops at
// httplimit.MaxBody, and finite, so that an unbounded reader under test fills some hundreds
// of MiB and fails instead of taking all memory.
const FloodSize = 8 * httplimit.MaxBody

// Flood is an HTTP server that answers every request with the start of a JSON-RPC answer
// whose result never ends (up to FloodSize, in chunks, without a length).
type Flood struct {
	URL     string
	drained atomic.Bool
}

// NewFlood starts a Flood, stopped at the end of the test.
func NewFlood(t testing.TB) *Flood {
	f := &Flood{}
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if _, err := w.Write([]byte(`{"jsonrpc":"2.0","id":-1,"result":"`)); err != nil {
			return
		}
		for sent := 0; sent < FloodSize; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the reader gave up
			}
		}
		f.drained.Store(true)
	}))
	t.Cleanup(func() {
		// A handler may be blocked writing to a reader that stopped reading.
		srv.CloseClientConnections()
		srv.Close()
	})
	f.URL = srv.URL
	return f
}

// Drained reports whether some reader took a whole flood: more than the socket buffers
// between the two ends can hold past httplimit.MaxBody.
func (f *Flood) Drained() bool { return f.drained.Load() }
