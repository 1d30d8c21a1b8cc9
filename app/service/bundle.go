package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/types"
	ics23 "github.com/cosmos/ics23/go"

	"ebill/app/bill"
	"ebill/app/wire"
	"ebill/lightclient"
	"ebill/wallet"
)

// BundleVersion is the version of the bundle format Marshal writes.
const BundleVersion = 1

// maxBundle bounds what ParseBundle reads: a bill of 999 items, its record, a proof and
// the header and validators of a large network fit well below.
const maxBundle = 8 << 20

// Bundle is everything needed to verify an issued bill offline: the bill, the ledger record,
// its proof and the signed header that commits to it. It is embedded in the PDF as
// render.AttachmentName. In JSON the byte fields are base64.
type Bundle struct {
	Version int    `json:"version"`
	ChainID string `json:"chain_id"`
	BillID  string `json:"bill_id"`
	// Bill is the canonical bytes (bill.Marshal) and Salt the salt of the payload
	// commitment: bill.Commitment(Salt, Bill) is the record's commitment.
	Bill []byte `json:"bill"`
	Salt []byte `json:"salt"`
	// Record is the value stored under wire.BillKey(BillID) in the state after block
	// Height, and Proof its ics23 existence proof (protobuf CommitmentProof) against the
	// app hash in the header at Height+1.
	Record []byte `json:"record"`
	Height int64  `json:"height"`
	Proof  []byte `json:"proof"`
	// SignedHeader (protobuf cometbft.types.v1.SignedHeader) is the header at Height+1 with
	// the commit that signs it; Validators (protobuf ValidatorSet) the set that signed.
	SignedHeader []byte `json:"signed_header"`
	Validators   []byte `json:"validators"`
}

// Marshal encodes the bundle as JSON.
func (b *Bundle) Marshal() ([]byte, error) {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode proof bundle: %w", err)
	}
	return data, nil
}

// ParseBundle decodes a bundle made by Marshal. It checks the shape only; VerifyBundle
// checks what it says.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > maxBundle {
		return nil, fmt.Errorf("proof bundle: %d bytes, at most %d", len(data), maxBundle)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("proof bundle: %w", err)
	}
	if dec.More() {
		return nil, errors.New("proof bundle: data after the bundle")
	}
	switch {
	case b.Version != BundleVersion:
		return nil, fmt.Errorf("proof bundle: version %d, want %d", b.Version, BundleVersion)
	case b.ChainID == "" || b.BillID == "":
		return nil, errors.New("proof bundle: chain id or bill id missing")
	case b.Height < 1:
		return nil, fmt.Errorf("proof bundle: height %d", b.Height)
	case len(b.Bill) == 0 || len(b.Salt) == 0 || len(b.Record) == 0 || len(b.Proof) == 0 ||
		len(b.SignedHeader) == 0 || len(b.Validators) == 0:
		return nil, errors.New("proof bundle: a part is missing")
	}
	return &b, nil
}

// VerifyBundle checks a bundle offline and returns the bill it proves, with the ledger's
// number merged in. chainID binds the chain; validatorsHash, when not nil, is the hash of a
// validator set the verifier trusts (the bundle's set must be it); without it the commit
// must carry more than two thirds of the power of the bundle's own validator set. Every
// refusal wraps ErrVerification and says what failed.
func VerifyBundle(b *Bundle, chainID string, validatorsHash []byte) (*View, error) {
	refuse := func(format string, args ...any) (*View, error) {
		return nil, fmt.Errorf("%w: proof bundle of bill %q: %s", ErrVerification, b.BillID, fmt.Sprintf(format, args...))
	}
	if b.ChainID != chainID {
		return refuse("it is of chain %q, want %q", b.ChainID, chainID)
	}
	var shp cmtproto.SignedHeader
	if err := shp.Unmarshal(b.SignedHeader); err != nil {
		return refuse("signed header: %v", err)
	}
	sh, err := types.SignedHeaderFromProto(&shp)
	if err != nil {
		return refuse("signed header: %v", err)
	}
	var vp cmtproto.ValidatorSet
	if err := vp.Unmarshal(b.Validators); err != nil {
		return refuse("validator set: %v", err)
	}
	vals, err := types.ValidatorSetFromProto(&vp)
	if err != nil {
		return refuse("validator set: %v", err)
	}
	if err := sh.ValidateBasic(chainID); err != nil {
		return refuse("signed header: %v", err)
	}
	switch {
	case sh.Height != b.Height+1:
		return refuse("header %d cannot prove the state at %d", sh.Height, b.Height)
	case !bytes.Equal(vals.Hash(), sh.ValidatorsHash):
		return refuse("the validator set is not the header's")
	case validatorsHash != nil && !bytes.Equal(vals.Hash(), validatorsHash):
		return refuse("the validator set %X is not the trusted one %X", vals.Hash(), validatorsHash)
	}
	if err := vals.VerifyCommit(chainID, sh.Commit.BlockID, sh.Height, sh.Commit); err != nil {
		return refuse("commit: %v", err)
	}

	var proof ics23.CommitmentProof
	if err := proof.Unmarshal(b.Proof); err != nil {
		return refuse("proof: %v", err)
	}
	root, err := proof.Calculate()
	if err != nil {
		return refuse("proof: %v", err)
	}
	if !bytes.Equal(root, sh.AppHash) {
		return refuse("the proof's root %X is not the app hash %X", root, sh.AppHash)
	}
	if !ics23.VerifyMembership(ics23.IavlSpec, root, &proof, wire.BillKey(b.BillID), b.Record) {
		return refuse("the record is not proven under its key")
	}

	rec, err := wire.DecodeBillRecord(b.Record)
	if err != nil {
		return refuse("record: %v", err)
	}
	if rec.ID != b.BillID {
		return refuse("the record is of bill %q", rec.ID)
	}
	if bill.Commitment(b.Salt, b.Bill) != rec.Commitment {
		return refuse("the bill does not match the record's commitment")
	}
	digest := bill.IdentityDigest(rec.Kind, rec.Org, rec.Serial, rec.Created, rec.Commitment)
	switch {
	case digest != rec.Digest || !wallet.Verify(rec.Cashier, digest[:], rec.CashierSig):
		return refuse("the cashier's signature does not verify")
	case (len(rec.ReviewSig) > 0 || countersigned(&rec)) && !wallet.Verify(rec.Reviewer, digest[:], rec.ReviewSig):
		return refuse("the bureau's countersignature does not verify")
	}
	bl, err := bill.Unmarshal(b.Bill)
	if err != nil {
		return refuse("bill: %v", err)
	}
	if bl.OrgCode != rec.Org || bl.Serial != rec.Serial {
		return refuse("the bill is %s/%s, the record %s/%s", bl.OrgCode, bl.Serial, rec.Org, rec.Serial)
	}
	return &View{
		ID: rec.ID, Bill: issued(bl, &rec), Record: rec,
		Verified: lightclient.Verified{Height: b.Height, AppHash: sh.AppHash, HeaderTime: sh.Time,
			SignedPercent: signedPercent(chainID, vals, sh.Commit)},
		salt: b.Salt, plain: b.Bill,
	}, nil
}

// countersigned reports whether the record must carry the bureau's countersignature: every
// approved bill does, except red bills, which the ledger issues at once.
func countersigned(rec *wire.BillRecord) bool {
	switch rec.Status {
	case wire.StatusApproved, wire.StatusIssued, wire.StatusReversed:
		return rec.RedOf == ""
	}
	return false
}

// signedPercent is the share of the power whose signatures VerifyCommit checked.
func signedPercent(chainID string, vals *types.ValidatorSet, commit *types.Commit) float64 {
	var signed int64
	for i, cs := range commit.Signatures {
		if cs.BlockIDFlag == types.BlockIDFlagCommit && i < vals.Size() {
			signed += vals.Validators[i].VotingPower
		}
	}
	return 100 * float64(signed) / float64(vals.TotalVotingPower())
}

// Bundle makes the proof bundle of a bill the desk may read. The record is proven by the
// light node first; the bundle's proof and header must then agree with what it verified.
func (d *Desk) Bundle(ctx context.Context, id string) (*Bundle, error) {
	b, _, err := d.bundle(ctx, id)
	return b, err
}

func (d *Desk) bundle(ctx context.Context, id string) (*Bundle, *View, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	n := d.net
	key := wire.BillKey(id)
	raw, ver, err := call(ctx, n, func(ctx context.Context) ([]byte, lightclient.Verified, error) { return n.lc.Get(ctx, key) })
	if err != nil {
		return nil, nil, fmt.Errorf("bundle %q: %w", id, err)
	}
	b := &Bundle{Version: BundleVersion, ChainID: n.ChainID(), BillID: id, Bill: v.plain, Salt: v.salt,
		Record: raw, Height: ver.Height}
	next := ver.Height + 1
	err = n.each(ctx, func(ctx context.Context, c rpcclient.Client, _ string) error {
		q, err := c.ABCIQueryWithOptions(ctx, wire.QueryKey, key, rpcclient.ABCIQueryOptions{Height: ver.Height, Prove: true})
		if err != nil {
			return err
		}
		if ops := q.Response.ProofOps; ops != nil && len(ops.Ops) == 1 {
			b.Proof = ops.Ops[0].Data
		}
		commit, err := c.Commit(ctx, &next)
		if err != nil {
			return err
		}
		if b.SignedHeader, err = commit.SignedHeader.ToProto().Marshal(); err != nil {
			return err
		}
		vals, err := validators(ctx, c, next)
		if err != nil {
			return err
		}
		vp, err := vals.ToProto()
		if err != nil {
			return err
		}
		b.Validators, err = vp.Marshal()
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("bundle %q: %w", id, err)
	}
	proven, err := VerifyBundle(b, n.ChainID(), nil)
	if err != nil {
		return nil, nil, err
	}
	if !bytes.Equal(proven.Verified.AppHash, ver.AppHash) {
		return nil, nil, fmt.Errorf("%w: bundle %q: the node's header %d has app hash %X, the light node verified %X",
			ErrVerification, id, next, proven.Verified.AppHash, ver.AppHash)
	}
	return b, v, nil
}

// validators fetches every page of the validator set at height.
func validators(ctx context.Context, c rpcclient.Client, height int64) (*types.ValidatorSet, error) {
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
