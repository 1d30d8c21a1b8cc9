package node

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// NetworkFile is what a desk needs to join a network through its light node: the chain, a
// trusted header to start verifying from, and the RPC addresses of a primary and its
// witnesses. The finance bureau hands it out; ebilld writes one for the network it runs.
type NetworkFile struct {
	ChainID     string   `json:"chain_id"`
	TrustHeight int64    `json:"trust_height"`
	TrustHash   string   `json:"trust_hash"` // hex of the header hash at TrustHeight
	Primary     string   `json:"primary"`
	Witnesses   []string `json:"witnesses"`
}

// ErrInvalidNetworkFile is wrapped by every error ReadNetworkFile and Validate return.
var ErrInvalidNetworkFile = errors.New("invalid network file")

// ReadNetworkFile decodes and validates a network file. Unknown fields are refused, so a
// misspelt key is reported instead of silently leaving a field empty.
func ReadNetworkFile(r io.Reader) (NetworkFile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return NetworkFile{}, fmt.Errorf("read network file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f NetworkFile
	if err := dec.Decode(&f); err != nil {
		return NetworkFile{}, fmt.Errorf("%w: %s", ErrInvalidNetworkFile, describeJSONError(data, err))
	}
	if dec.More() {
		return NetworkFile{}, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidNetworkFile)
	}
	if err := f.Validate(); err != nil {
		return NetworkFile{}, err
	}
	return f, nil
}

// describeJSONError turns the decoder's byte offsets into the line:column an editor shows.
func describeJSONError(data []byte, err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("bad JSON at %s: %v", position(data, syntax.Offset), err)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q at %s: want %s, got %s", typ.Field, position(data, typ.Offset), typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return "empty file"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "bad JSON: unexpected end of file"
	}
	return err.Error()
}

func position(data []byte, offset int64) string {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Validate reports the first problem that would stop a light node from using the file.
func (f NetworkFile) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidNetworkFile, fmt.Sprintf(format, args...))
	}
	switch {
	case strings.TrimSpace(f.ChainID) == "":
		return bad("chain_id is missing")
	case f.TrustHeight < 1:
		return bad("trust_height %d: must be at least 1", f.TrustHeight)
	}
	if h, err := hex.DecodeString(f.TrustHash); err != nil || len(h) != 32 {
		return bad("trust_hash %q: want 64 hex digits (a SHA-256 header hash)", f.TrustHash)
	}
	if err := checkRPCURL(f.Primary); err != nil {
		return bad("primary: %v", err)
	}
	if len(f.Witnesses) == 0 {
		return bad("no witness: a light node needs at least one (for a single node, repeat the primary)")
	}
	for i, w := range f.Witnesses {
		if err := checkRPCURL(w); err != nil {
			return bad("witnesses[%d]: %v", i, err)
		}
	}
	return nil
}

func checkRPCURL(s string) error {
	if s == "" {
		return errors.New("missing RPC address")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("RPC address %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("RPC address %q: want http://host:port or https://host:port", s)
	}
	return nil
}

// Write encodes the file as indented JSON.
func (f NetworkFile) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("write network file: %w", err)
	}
	return nil
}

// WriteNetworkFileAtomic writes f to path through a temporary file and a rename, so a
// reader never sees half a file.
func WriteNetworkFileAtomic(path string, f NetworkFile) error {
	if err := f.Validate(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".network-*.json")
	if err != nil {
		return fmt.Errorf("write network file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this is a no-op
	if err := f.Write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write network file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write network file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write network file: %w", err)
	}
	return nil
}

// FillTrust waits until the node at rpcAddr has committed a header at height ≥ 1 and makes
// its latest committed header the trust root. It also sets ChainID when empty and refuses a
// node of another chain.
func (f *NetworkFile) FillTrust(ctx context.Context, rpcAddr string) error {
	c, err := rpchttp.New(rpcAddr)
	if err != nil {
		return fmt.Errorf("trust root from %s: %w", rpcAddr, err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := c.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= 1 {
			h := st.SyncInfo.LatestBlockHeight
			com, err := c.Commit(ctx, &h)
			if err != nil {
				return fmt.Errorf("trust root from %s: commit at height %d: %w", rpcAddr, h, err)
			}
			hdr := com.SignedHeader.Header
			if f.ChainID == "" {
				f.ChainID = hdr.ChainID
			} else if hdr.ChainID != f.ChainID {
				return fmt.Errorf("trust root from %s: node is on chain %q, want %q", rpcAddr, hdr.ChainID, f.ChainID)
			}
			f.TrustHeight = hdr.Height
			f.TrustHash = hex.EncodeToString(hdr.Hash())
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("trust root from %s: %w (last error: %v)", rpcAddr, ctx.Err(), err)
			}
			return fmt.Errorf("trust root from %s: no committed header yet: %w", rpcAddr, ctx.Err())
		case <-tick.C:
		}
	}
}
