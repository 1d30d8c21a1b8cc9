package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/types"
	ics23 "github.com/cosmos/ics23/go"

	"ebill/app/bill"
	"ebill/app/wire"
	"ebill/lightclient"
	"ebill/wallet"
)

// BundleVersion is the version of the bundle format Marshal writes. Version 2 (protocol
// v2) is checked against a trust root; version 1 bundles certified only themselves.
const BundleVersion = 2

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
	// Bill discloses the fields the printed bill shows (bill.Printed) and only the
	// hashes of the rest: it makes the record's commitment, and tells nothing the paper
	// does not (the payer's ID stands masked, as printed).
	Bill *bill.Disclosure `json:"bill"`
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
	case b.Bill == nil || len(b.Bill.Leaves) == 0 || len(b.Record) == 0 || len(b.Proof) == 0 ||
		len(b.SignedHeader) == 0 || len(b.Validators) == 0:
		return nil, errors.New("proof bundle: a part is missing")
	}
	return &b, nil
}

// Trust is what a verifier of a bundle trusts: the chain, and a validator set it holds on
// its own authority (the network file's, at its trust height). A bundle that carries only
// its own validator set certifies itself; without Validators VerifyBundle refuses it.
type Trust struct {
	ChainID    string
	Validators *types.ValidatorSet
}

// VerifyBundle checks a bundle offline and returns the bill it proves, with the ledger's
// number merged in. The header's commit must verify against the bundle's validator set, and
// that set must be the trusted one, or (when the validators have changed since) validators
// of the trusted set holding more than a third of its power must have signed the commit too,
// as the light client's skipping verification asks. The trusting period is not applied: an
// old bill stays checkable as long as the keys of its validators were not stolen. Then the
// record is checked against the header's app hash, the bill against the record's
// commitment, and every field the record repeats (org, serial, kind, code, total, red link)
// against the bill. Every refusal wraps ErrVerification and says what failed. The View's
// Verified.SignedPercent is the share of the trusted set's power that signed the header.
func VerifyBundle(b *Bundle, t Trust) (*View, error) {
	refuse := func(format string, args ...any) (*View, error) {
		return nil, fmt.Errorf("%w: proof bundle of bill %q: %s", ErrVerification, b.BillID, fmt.Sprintf(format, args...))
	}
	if t.Validators == nil {
		return refuse("no trusted validator set: a bundle that carries its own validators certifies only itself")
	}
	chainID := t.ChainID
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
	}
	if err := vals.VerifyCommit(chainID, sh.Commit.BlockID, sh.Height, sh.Commit); err != nil {
		return refuse("commit: %v", err)
	}
	if !bytes.Equal(vals.Hash(), t.Validators.Hash()) {
		if err := t.Validators.VerifyCommitLightTrusting(chainID, sh.Commit, light.DefaultTrustLevel); err != nil {
			return refuse("the header's validators %X are not the trusted ones %X, and too few of those signed: %v",
				vals.Hash(), t.Validators.Hash(), err)
		}
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
	if err := b.Bill.Verify(rec.Commitment); err != nil {
		return refuse("the bill does not match the record's commitment: %v", err)
	}
	if err := signaturesOf(chainID, &rec); err != nil {
		return refuse("%v", err)
	}
	bl, err := b.Bill.Bill()
	if err != nil {
		return refuse("bill: %v", err)
	}
	if err := sameBill(bl, &rec); err != nil {
		return refuse("%v", err)
	}
	return &View{
		ID: rec.ID, Bill: issued(bl, &rec), Record: rec, Timeline: rec.Events,
		Verified: lightclient.Verified{Value: b.Record, Height: b.Height, AppHash: sh.AppHash, HeaderTime: sh.Time,
			SignedPercent: signedPercent(t.Validators, vals, sh.Commit), Proof: b.Proof, Header: sh, Validators: vals},
	}, nil
}

// identity is what the cashier of rec signed, on chain chainID.
func identity(chainID string, rec *wire.BillRecord) [32]byte {
	return bill.IdentityDigest(bill.Identity{ChainID: chainID, Kind: rec.Kind, Org: rec.Org, Serial: rec.Serial,
		Created: rec.Created, Revision: rec.Revision, Commitment: rec.Commitment})
}

// signaturesOf checks the cashier's signature over rec's identity on chainID and, where rec
// must carry one, the bureau's countersignature over it.
func signaturesOf(chainID string, rec *wire.BillRecord) error {
	digest := identity(chainID, rec)
	counter := bill.CountersignDigest(digest)
	switch {
	case digest != rec.Digest || !wallet.Verify(rec.Cashier, digest[:], rec.CashierSig):
		return errors.New("the cashier's signature does not verify")
	case (len(rec.ReviewSig) > 0 || countersigned(rec)) && !wallet.Verify(rec.Reviewer, counter[:], rec.ReviewSig):
		return errors.New("the bureau's countersignature does not verify")
	}
	return nil
}

// sameBill compares every field the ledger's record repeats with the bill it commits to
// (the record's serial is a tag only the hospital can make: the commitment binds the serial).
// The commitment already binds them; a record whose fields say otherwise was written by a
// ledger that did not check, and what a verifier prints from either must be the same.
func sameBill(bl *bill.Bill, rec *wire.BillRecord) error {
	redOf := ""
	if bl.Red != nil {
		redOf = bl.Red.OriginalID
	}
	for _, f := range []struct{ name, bill, record string }{
		{"org", bl.OrgCode, rec.Org},
		{"kind", string(bl.Kind), string(rec.Kind)},
		{"code", bl.Code, rec.Code},
		{"total", bl.Total.String(), rec.Total.String()},
		{"red link", redOf, rec.RedOf},
	} {
		if f.bill != f.record {
			return fmt.Errorf("the bill's %s is %q, the record's %q", f.name, f.bill, f.record)
		}
	}
	return nil
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

// signedPercent is the share of trusted's power that signed commit. VerifyCommit checked
// every signature against vals, the header's set; what the verifier trusts is the power of
// the signers in its own set, which is vals' only while the validators have not changed.
func signedPercent(trusted, vals *types.ValidatorSet, commit *types.Commit) float64 {
	var signed int64
	for i, cs := range commit.Signatures {
		if cs.BlockIDFlag != types.BlockIDFlagCommit || i >= vals.Size() {
			continue
		}
		if _, v := trusted.GetByAddress(vals.Validators[i].Address); v != nil {
			signed += v.VotingPower
		}
	}
	return 100 * float64(signed) / float64(trusted.TotalVotingPower())
}

// Bundle makes the proof bundle of a bill the desk may read, from one verified read of its
// record and payload: the proof, header and validators are the light node's, not asked again.
func (d *Desk) Bundle(ctx context.Context, id string) (*Bundle, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.bundle(v)
}

// bundle packs v, as its verified read proved it, and checks the result as a verifier will:
// against the validator set the light node verified.
func (d *Desk) bundle(v *View) (*Bundle, error) {
	ver := v.Verified
	if ver.Header == nil || ver.Validators == nil || len(ver.Proof) == 0 || v.Bill == nil {
		return nil, fmt.Errorf("bundle %q: the view carries no proof or no opened bill", v.ID)
	}
	disclosed, err := v.Bill.Bill.Disclose(v.seed, bill.Printed...)
	if err != nil {
		return nil, fmt.Errorf("bundle %q: %w", v.ID, err)
	}
	sh, err := ver.Header.ToProto().Marshal()
	if err != nil {
		return nil, fmt.Errorf("bundle %q: header: %w", v.ID, err)
	}
	vp, err := ver.Validators.ToProto()
	if err != nil {
		return nil, fmt.Errorf("bundle %q: validators: %w", v.ID, err)
	}
	vals, err := vp.Marshal()
	if err != nil {
		return nil, fmt.Errorf("bundle %q: validators: %w", v.ID, err)
	}
	chainID := d.net.ChainID()
	b := &Bundle{Version: BundleVersion, ChainID: chainID, BillID: v.ID, Bill: disclosed,
		Record: ver.Value, Height: ver.Height, Proof: ver.Proof, SignedHeader: sh, Validators: vals}
	if _, err := VerifyBundle(b, Trust{ChainID: chainID, Validators: ver.Validators}); err != nil {
		return nil, err
	}
	return b, nil
}
