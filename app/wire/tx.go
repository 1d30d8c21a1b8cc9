package wire

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"ebill/app/bill"
)

// Signer signs transactions; wallet.Identity is one.
type Signer interface {
	PublicKey() ed25519.PublicKey
	Sign(message []byte) []byte
}

// txVersion is the first byte of every transaction; signTag prefixes the bytes that are
// signed, so a transaction signature can never pass for any other signature.
const (
	txVersion = 1
	signTag   = "ebill/tx/v1\x00"
)

// Tx is a decoded transaction. On the wire:
//
//	version(1) ‖ chain id ‖ signer(32) ‖ seq ‖ msg type(1) ‖ msg body ‖ signature(64)
//
// with varint lengths and integers. The signature covers signTag ‖ every byte before it,
// so the chain id is bound and nothing can be appended or cut.
type Tx struct {
	ChainID   string
	Signer    ed25519.PublicKey
	Seq       uint64
	Msg       Msg
	Signature []byte
	Hash      [32]byte // SHA-256 of the transaction bytes, CometBFT's tx hash
	signed    []byte
}

// NewTx builds and signs a transaction. seq must be fresh for the signer: above its
// highest used sequence, or unused and less than 128 below it.
func NewTx(chainID string, s Signer, seq uint64, msg Msg) ([]byte, error) {
	if chainID == "" || len(chainID) > maxName {
		return nil, fmt.Errorf("new tx: chain id %q: want 1 to %d bytes", chainID, maxName)
	}
	if seq == 0 {
		return nil, fmt.Errorf("new tx: sequence 0: sequences start at 1")
	}
	if err := msg.Validate(); err != nil {
		return nil, fmt.Errorf("new tx: %s: %w", msg.Type(), err)
	}
	pub := s.PublicKey()
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("new tx: signer key of %d bytes", len(pub))
	}
	var body encoder
	msg.encode(&body)
	e := encoder{b: make([]byte, 0, len(signTag)+len(chainID)+len(body.b)+128)}
	e.fixed([]byte(signTag))
	e.byte(txVersion)
	e.string(chainID)
	e.fixed(pub)
	e.uint(seq)
	e.byte(byte(msg.Type()))
	e.bytes(body.b)
	sig := s.Sign(e.b)
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("new tx: signature of %d bytes", len(sig))
	}
	tx := append(e.b[len(signTag):], sig...)
	if len(tx) > MaxTxSize {
		return nil, fmt.Errorf("new tx: %d bytes exceed %d", len(tx), MaxTxSize)
	}
	return tx, nil
}

// DecodeTx parses a transaction and checks its fields, without verifying its signature or
// looking at any state. It refuses oversize input with CodeOversize, anything not
// canonical with CodeMalformed and fields no state could accept with CodeInvalid.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxSize {
		return nil, Refuse(CodeOversize, "transaction of %d bytes exceeds %d", len(b), MaxTxSize)
	}
	if len(b) < ed25519.SignatureSize {
		return nil, Refuse(CodeMalformed, "transaction of %d bytes is too short", len(b))
	}
	unsigned := b[:len(b)-ed25519.SignatureSize]
	d := decoder{b: unsigned}
	if v := d.byte(); d.err == nil && v != txVersion {
		return nil, Refuse(CodeMalformed, "transaction version %d, want %d", v, txVersion)
	}
	tx := &Tx{ChainID: d.string(maxName), Signer: d.pub(), Seq: d.uint()}
	t := MsgType(d.byte())
	body := d.bytes(MaxTxSize)
	if err := d.end(); err != nil {
		return nil, Refuse(CodeMalformed, "envelope: %v", err)
	}
	msg, err := decodeMsg(t, body)
	if err != nil {
		return nil, Refuse(CodeMalformed, "%s body: %v", t, err)
	}
	if err := msg.Validate(); err != nil {
		return nil, Refuse(CodeInvalid, "%s: %v", t, err)
	}
	tx.Msg = msg
	tx.Signature = b[len(unsigned):]
	tx.Hash = sha256.Sum256(b)
	tx.signed = append(append(make([]byte, 0, len(signTag)+len(unsigned)), signTag...), unsigned...)
	return tx, nil
}

// SigCheck is one Ed25519 signature a transaction needs verified: Sig by Pub over Msg.
type SigCheck struct {
	Pub ed25519.PublicKey
	Msg []byte
	Sig []byte
}

// SigChecks lists the transaction signature and the signature the message carries, if any.
// All are stateless, so a block's worth can be verified in one batch before execution.
func (tx *Tx) SigChecks() []SigCheck {
	checks := []SigCheck{{tx.Signer, tx.signed, tx.Signature}}
	if digest, sig := tx.Msg.innerSignature(tx.ChainID); sig != nil {
		checks = append(checks, SigCheck{tx.Signer, digest, sig})
	}
	return checks
}

// Result is what a successful (or duplicate) bill transaction returns in
// ExecTxResult.Data: the bill it acted on and what the ledger assigned.
type Result struct {
	BillID    string
	Revision  uint32
	Status    Status
	Number    string // on issue and reverse: the number given (to the red bill on reverse)
	CheckCode string
	RedID     string // on reverse: the new red bill
}

func (r *Result) Encode() []byte {
	var e encoder
	e.byte(recordVersion)
	e.string(r.BillID)
	e.uint(uint64(r.Revision))
	e.byte(byte(r.Status))
	e.string(r.Number)
	e.string(r.CheckCode)
	e.string(r.RedID)
	return e.b
}

// DecodeResult decodes ExecTxResult.Data (or CheckTxResponse.Data of a duplicate).
func DecodeResult(b []byte) (Result, error) {
	d := decoder{b: b}
	d.version()
	r := Result{
		BillID: d.string(maxID), Revision: uint32(d.uint()), Status: Status(d.byte()),
		Number: d.string(maxID), CheckCode: d.string(maxID), RedID: d.string(maxID),
	}
	return r, d.end()
}

// Digest is the identity digest of a submitted bill on chain chainID, as the cashier signs it.
func (m *SubmitBill) Digest(chainID string) [32]byte {
	return bill.IdentityDigest(bill.Identity{ChainID: chainID, Kind: m.Kind, Org: m.Org, Serial: m.Serial,
		Created: m.Created, Revision: m.Revision, Commitment: m.Commitment})
}
