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
	"strings"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/types"

	"ebill/internal/files"
	"ebill/internal/httplimit"
)

// NetworkFile is what a desk needs to join a network through its light node: the chain, a
// trusted header to start verifying from with the validators that signed it, and the RPC
// addresses of a primary and its witnesses. The finance bureau hands it out; ebilld writes
// one for the network it runs. Version 2 (NetworkFileVersion) adds the validator set, the
// signatures of the keys the genesis names, the gateways' TLS pins, the join data and the
// base URL of the public verification page; each may be empty until its issue lands. A
// version 1 file (no "version" field) still loads, without those fields.
type NetworkFile struct {
	Version     int    `json:"version,omitempty"`
	ChainID     string `json:"chain_id"`
	TrustHeight int64  `json:"trust_height"`
	TrustHash   string `json:"trust_hash"` // hex of the header hash at TrustHeight
	// ValidatorsHash (hex) is the header's validators hash at TrustHeight, and Validators
	// the set it hashes: what lets a PDF's proof bundle be verified offline.
	ValidatorsHash string      `json:"validators_hash,omitempty"`
	Validators     []Validator `json:"validators,omitempty"`
	Primary        string      `json:"primary"`
	Witnesses      []string    `json:"witnesses"`
	Gateways       []Gateway   `json:"gateways,omitempty"`
	Join           *Join       `json:"join,omitempty"`
	// VerifyURL is the base URL of the public verification page the QR code points to.
	VerifyURL string `json:"verify_url,omitempty"`
	// Signatures are by keys the genesis names, each over SigningBytes.
	Signatures []Signature `json:"signatures,omitempty"`
}

// NetworkFileVersion is the version Write gives a file it fills (FillTrust).
const NetworkFileVersion = 2

// Validator is one member of the trusted validator set: its Ed25519 public key (base64, as
// CometBFT's genesis writes it) and voting power.
type Validator struct {
	PubKey []byte `json:"pub_key"`
	Power  int64  `json:"power"`
}

// Gateway is an authenticated door to the network's RPC, and the SHA-256 hashes (hex) of
// the public keys its TLS certificates may carry.
type Gateway struct {
	URL  string   `json:"url"`
	Pins []string `json:"pins,omitempty"`
}

// Join is what a new node needs to join: the genesis (its SHA-256 in hex, and where to get
// it) and peers (id@host:port).
type Join struct {
	GenesisHash string   `json:"genesis_hash,omitempty"`
	GenesisURL  string   `json:"genesis_url,omitempty"`
	Peers       []string `json:"peers,omitempty"`
}

// Signature is an Ed25519 signature by Signer over the file's SigningBytes.
type Signature struct {
	Signer []byte `json:"signer"`
	Sig    []byte `json:"sig"`
}

// signTag starts SigningBytes, so a signature over a network file means nothing else.
const signTag = "ebill/network/v2\n"

// SigningBytes is the canonical encoding that Signatures sign: signTag, then the file as
// compact JSON without its signatures (struct fields in their fixed order).
func (f NetworkFile) SigningBytes() []byte {
	f.Signatures = nil
	data, err := json.Marshal(f)
	if err != nil {
		// Strings, numbers and byte slices always encode.
		panic(fmt.Sprintf("encode network file: %v", err))
	}
	return append([]byte(signTag), data...)
}

// ErrNoValidators: the network file names no validator set (a version 1 file).
var ErrNoValidators = errors.New("the network file names no trusted validator set: ask the finance bureau for a version 2 network file")

// TrustedValidators is the validator set the file trusts at TrustHeight.
func (f NetworkFile) TrustedValidators() (*types.ValidatorSet, error) {
	if len(f.Validators) == 0 {
		return nil, ErrNoValidators
	}
	vals := make([]*types.Validator, len(f.Validators))
	for i, v := range f.Validators {
		if len(v.PubKey) != ed25519.PubKeySize || v.Power <= 0 {
			return nil, fmt.Errorf("%w: validators[%d]: want a %d-byte Ed25519 key and a positive power", ErrInvalidNetworkFile, i, ed25519.PubKeySize)
		}
		vals[i] = types.NewValidator(ed25519.PubKey(v.PubKey), v.Power)
	}
	set := types.NewValidatorSet(vals)
	if err := set.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%w: validators: %v", ErrInvalidNetworkFile, err)
	}
	if want := strings.ToLower(f.ValidatorsHash); want != "" && hex.EncodeToString(set.Hash()) != want {
		return nil, fmt.Errorf("%w: the validators hash to %X, validators_hash says %s", ErrInvalidNetworkFile, set.Hash(), f.ValidatorsHash)
	}
	return set, nil
}

// ErrInvalidNetworkFile is wrapped by every error ReadNetworkFile and Validate return.
var ErrInvalidNetworkFile = errors.New("invalid network file")

// MaxNetworkFileSize bounds what ReadNetworkFile reads. A province's network has tens of
// validators and gateways, some KB; 1 MiB holds thousands.
const MaxNetworkFileSize = 1 << 20

// ReadNetworkFile decodes and validates a network file. Unknown fields are refused, so a
// misspelt key is reported instead of silently leaving a field empty.
func ReadNetworkFile(r io.Reader) (NetworkFile, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxNetworkFileSize+1))
	if err != nil {
		return NetworkFile{}, fmt.Errorf("read network file: %w", err)
	}
	if len(data) > MaxNetworkFileSize {
		return NetworkFile{}, fmt.Errorf("%w: larger than %d MiB: not a network file, or a damaged one", ErrInvalidNetworkFile, MaxNetworkFileSize>>20)
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
	case f.Version > NetworkFileVersion || f.Version < 0:
		return bad("version %d: this program reads versions 1 and %d; get a newer ebill", f.Version, NetworkFileVersion)
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
	if f.Version < NetworkFileVersion && (f.ValidatorsHash != "" || len(f.Validators) > 0 || len(f.Gateways) > 0 ||
		f.Join != nil || f.VerifyURL != "" || len(f.Signatures) > 0) {
		return bad("fields of version %d in a file without \"version\": %d", NetworkFileVersion, NetworkFileVersion)
	}
	if h, err := hex.DecodeString(f.ValidatorsHash); f.ValidatorsHash != "" && (err != nil || len(h) != 32) {
		return bad("validators_hash %q: want 64 hex digits", f.ValidatorsHash)
	}
	if len(f.Validators) > 0 {
		if _, err := f.TrustedValidators(); err != nil {
			return err
		}
	}
	for i, g := range f.Gateways {
		if err := checkRPCURL(g.URL); err != nil {
			return bad("gateways[%d]: %v", i, err)
		}
	}
	for i, s := range f.Signatures {
		if len(s.Signer) != ed25519.PubKeySize || len(s.Sig) != ed25519.SignatureSize {
			return bad("signatures[%d]: want a %d-byte signer key and a %d-byte signature", i, ed25519.PubKeySize, ed25519.SignatureSize)
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
	return files.Replace(path, 0o600, f.Write)
}

// FillTrust waits until the node at rpcAddr has committed a header at height ≥ 1 and makes
// its latest committed header the trust root. It also sets ChainID when empty and refuses a
// node of another chain.
func (f *NetworkFile) FillTrust(ctx context.Context, rpcAddr string) error {
	c, err := httplimit.RPC(rpcAddr)
	if err != nil {
		return fmt.Errorf("trust root from %s: %w", rpcAddr, err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := c.Status(ctx)
		if errors.Is(err, httplimit.ErrTooLarge) { // a node that is not starting up, but broken or hostile
			return fmt.Errorf("trust root from %s: %w", rpcAddr, err)
		}
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
			vals, err := ValidatorSet(ctx, c, h)
			if err != nil {
				return fmt.Errorf("trust root from %s: validators at height %d: %w", rpcAddr, h, err)
			}
			if !bytes.Equal(vals.Hash(), hdr.ValidatorsHash) {
				return fmt.Errorf("trust root from %s: the validators at height %d are not the header's", rpcAddr, h)
			}
			f.Version = NetworkFileVersion
			f.TrustHeight = hdr.Height
			f.TrustHash = hex.EncodeToString(hdr.Hash())
			f.ValidatorsHash = hex.EncodeToString(hdr.ValidatorsHash)
			f.Validators = f.Validators[:0]
			for _, v := range vals.Validators {
				f.Validators = append(f.Validators, Validator{PubKey: v.PubKey.Bytes(), Power: v.VotingPower})
			}
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

// ValidatorSet fetches every page of the validator set at height from a node.
func ValidatorSet(ctx context.Context, c rpcclient.Client, height int64) (*types.ValidatorSet, error) {
	var all []*types.Validator
	perPage := 100
	for page := 1; ; page++ {
		res, err := c.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, err
		}
		all = append(all, res.Validators...)
		if len(all) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	return types.ValidatorSetFromExistingValidators(all)
}
