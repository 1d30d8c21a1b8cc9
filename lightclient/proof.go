package lightclient

import (
	"bytes"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"github.com/cometbft/cometbft/crypto/merkle"
	"github.com/cometbft/cometbft/types"
	ics23 "github.com/cosmos/ics23/go"

	"ebill/app/wire"
)

// ProofOpIAVL is the only proof operator a ledger answer may carry: an ics23 commitment
// proof (existence or non-existence) over the single IAVL tree whose root is the app hash.
const ProofOpIAVL = wire.ProofOpType

// commitmentOp is the ics23 proof operator that cosmossdk.io/store would provide; that
// module cannot be imported beside CometBFT v1, so it is written here against the v1 proto.
type commitmentOp struct {
	key   []byte
	proof *ics23.CommitmentProof
}

func decodeCommitmentOp(pop cmtcrypto.ProofOp) (merkle.ProofOperator, error) {
	if pop.Type != ProofOpIAVL {
		return nil, fmt.Errorf("proof op type %q, want %q", pop.Type, ProofOpIAVL)
	}
	proof := new(ics23.CommitmentProof)
	if err := proof.Unmarshal(pop.Data); err != nil {
		return nil, fmt.Errorf("decode %s proof: %w", ProofOpIAVL, err)
	}
	return commitmentOp{key: pop.Key, proof: proof}, nil
}

func (op commitmentOp) GetKey() []byte { return op.key }

func (op commitmentOp) ProofOp() cmtcrypto.ProofOp {
	data, err := op.proof.Marshal()
	if err != nil {
		// Marshalling a message that was just unmarshalled cannot fail.
		panic(fmt.Sprintf("marshal ics23 proof: %v", err))
	}
	return cmtcrypto.ProofOp{Type: ProofOpIAVL, Key: op.key, Data: data}
}

// Run proves membership of args[0] under the op's key when given one argument, and absence
// of the key when given none. It returns the root the proof commits to; the caller compares
// it with the app hash from a verified header.
func (op commitmentOp) Run(args [][]byte) ([][]byte, error) {
	root, err := op.proof.Calculate()
	if err != nil {
		return nil, fmt.Errorf("compute root from proof of key %x: %w", op.key, err)
	}
	switch len(args) {
	case 0:
		if !ics23.VerifyNonMembership(ics23.IavlSpec, root, op.proof, op.key) {
			return nil, fmt.Errorf("absence proof of key %x does not verify", op.key)
		}
	case 1:
		if !ics23.VerifyMembership(ics23.IavlSpec, root, op.proof, op.key, args[0]) {
			return nil, fmt.Errorf("existence proof of key %x with the given value does not verify", op.key)
		}
	default:
		return nil, fmt.Errorf("proof op takes at most one value, got %d", len(args))
	}
	return [][]byte{root}, nil
}

// proofRuntime knows exactly one operator, so an answer carrying any other kind of proof
// (a plain value op, a multistore op) cannot be decoded, let alone accepted.
var proofRuntime = func() *merkle.ProofRuntime {
	prt := merkle.NewProofRuntime()
	prt.RegisterOpDecoder(ProofOpIAVL, decodeCommitmentOp)
	return prt
}()

// verifyQuery checks an ABCI query answer for key at state height against header, which
// must be the verified header at height+1 (the one carrying the app hash after block
// height). It returns the value, or found == false when the answer proved absence. Every
// refusal wraps ErrVerification.
//
// These are the checks light/rpc leaves out: the echoed key and height, the number, type
// and key of the proof ops, and absence against the key path rather than the raw key.
func verifyQuery(chainID string, key []byte, height int64, header *types.Header, res *abci.QueryResponse) (value []byte, found bool, err error) {
	refuse := func(format string, args ...any) ([]byte, bool, error) {
		return nil, false, fmt.Errorf("%w: key %x at height %d: %s", ErrVerification, key, height, fmt.Sprintf(format, args...))
	}
	switch {
	case header.ChainID != chainID:
		return refuse("header is from chain %q, want %q", header.ChainID, chainID)
	case header.Height != height+1:
		return refuse("header at height %d cannot prove state at height %d", header.Height, height)
	case res.Code != 0:
		return refuse("node answered code %d: %q", res.Code, res.Log)
	case !bytes.Equal(res.Key, key):
		return refuse("node answered for key %x", res.Key)
	case res.Height != height:
		return refuse("node answered for height %d", res.Height)
	case res.ProofOps == nil || len(res.ProofOps.Ops) != 1:
		n := 0
		if res.ProofOps != nil {
			n = len(res.ProofOps.Ops)
		}
		return refuse("want exactly one proof op, got %d", n)
	}
	op := res.ProofOps.Ops[0]
	switch {
	case op.Type != ProofOpIAVL:
		return refuse("proof op type %q, want %q", op.Type, ProofOpIAVL)
	case !bytes.Equal(op.Key, key):
		return refuse("proof is for key %x", op.Key)
	}
	keyPath := merkle.KeyPath{}.AppendKey(key, merkle.KeyEncodingHex).String()
	// The ledger never stores an empty value, so an empty answer is a claim of absence,
	// and it is accepted only with a proof of absence.
	if len(res.Value) == 0 {
		if err := proofRuntime.VerifyAbsence(res.ProofOps, header.AppHash, keyPath); err != nil {
			return refuse("absence not proven against app hash %X: %v", header.AppHash, err)
		}
		return nil, false, nil
	}
	if err := proofRuntime.VerifyValue(res.ProofOps, header.AppHash, keyPath, res.Value); err != nil {
		return refuse("value not proven against app hash %X: %v", header.AppHash, err)
	}
	return res.Value, true, nil
}
