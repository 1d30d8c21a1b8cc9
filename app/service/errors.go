package service

import "errors"

// Errors callers branch on; returned errors wrap them with context.
var (
	// ErrWrongRole: the identity's role may not do this (a cashier cannot approve).
	ErrWrongRole = errors.New("wrong role")
	// ErrNotReader: the identity is not a member of the bill's org or of its bureau, or holds
	// no key that opens it (a revoked member after a rotation).
	ErrNotReader = errors.New("not a reader of this org's bills")
	// ErrNotFound: the ledger proved that the bill, account or org does not exist.
	ErrNotFound = errors.New("not found")
	// ErrKeyMismatch: an org key granted to this identity is not the org's key on the
	// ledger (a colleague wrapped a key of their own, or garbage): an alarm to raise with
	// the org, not a network fault.
	ErrKeyMismatch = errors.New("granted org key does not match the ledger")
	// ErrTrustExpired: the light node's trust root is older than the trusting period; the
	// cure is on the user's side: re-import the network file from the finance bureau. It is
	// not an ErrVerification, so a front end cannot mistake it for a lying node.
	ErrTrustExpired = errors.New("trust root expired: re-import the network file")
	// ErrAttack: a witness signed a header conflicting with the primary's; the light node
	// has stopped for good and kept the evidence.
	ErrAttack = errors.New("light client attack")
	// ErrVerification: a proof, header, signature or commitment did not verify.
	ErrVerification = errors.New("verification failed")
	// ErrNetworkDown: neither the primary nor any witness answered.
	ErrNetworkDown = errors.New("network down")
	// ErrTimeout: the network answered but the step did not finish in time.
	ErrTimeout = errors.New("timed out")
	// ErrSegmentExhausted: the org's number segment for the bill code is used up or missing.
	ErrSegmentExhausted = errors.New("number segment exhausted")
	// ErrEncoding: a HIS file is neither UTF-8 nor GBK; the error says where.
	ErrEncoding = errors.New("neither utf-8 nor gbk")
	// ErrConflict: the ledger holds another bill under the org and business serial (业务流水号)
	// of the one submitted; the error names the serial and the bill's id.
	ErrConflict = errors.New("business serial used by another bill")
	// ErrInvalid: the bill breaks the rules; the error also wraps bill.Problems.
	ErrInvalid = errors.New("invalid bill")
	// ErrBadState: the bill's status does not allow this (issuing a rejected bill).
	ErrBadState = errors.New("bill status does not allow this")
	// ErrRefused: the ledger refused the transaction for another reason; the error also
	// wraps the *ledger.Refusal.
	ErrRefused = errors.New("refused by the ledger")
)
