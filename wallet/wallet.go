// Package wallet holds the keys of ebill's cashiers and clerks and encrypts bill payloads.
//
// # Identities
//
// An [Identity] is a name and one 32-byte secret. Everything else is derived from the
// secret with HKDF-SHA256 under distinct labels: an Ed25519 signing key and an HPKE
// decryption key (the hybrid post-quantum KEM ML-KEM-768+X25519, "X-Wing"). Because the
// secret is small, it fits any OS keyring. [Identity.Public] gives what the ledger
// registers: the signing key, the KEM key and a short address such as
// "eb1qj7…" derived from the signing key.
//
//	id, err := wallet.NewIdentity("cashier-01")
//	sig := id.Sign(txBytes)
//	ok := wallet.Verify(id.PublicKey(), txBytes, sig)
//
// # Stores
//
// A [Store] keeps identities. [NewKeyringStore] uses the OS keyring (Secret Service,
// Keychain, Credential Manager); every call is bounded by a timeout, and any failure other
// than "not found" is reported as [ErrKeyringUnavailable]. Where no keyring answers, the
// caller may choose [NewFileStore] explicitly: one file per identity, encrypted with a
// passphrase (scrypt and AES-256-GCM). The same format serves backups through [Export] and
// [Import]. [NewMemoryStore] is for tests. Nothing ever falls back to another store
// silently, and no secret is written anywhere in clear.
//
// # Envelopes
//
// A bill payload is sealed once under a fresh 32-byte data key with AES-256-GCM, and the
// data key is sealed with HPKE to each recipient's KEM public key. The caller's AAD
// (use [AAD] with the chain id and the bill id) is bound into both layers, so an envelope
// moved to another bill or chain does not open.
//
//	env, err := wallet.Seal(payload, wallet.AAD(chainID, billID), hospital.KEMPublic(), bureau.KEMPublic())
//	stored := env.Marshal()
//	...
//	env, err = wallet.ParseEnvelope(stored)
//	payload, err = env.Open(wallet.AAD(chainID, billID), hospital)
//
// # Org keys
//
// Envelopes are sealed to organisations, not people. An [OrgKey] is an HPKE key pair made
// from a 32-byte seed; its public half is published on the ledger. [Grant] wraps the seed
// to a member's KEM key and [Identity.Unwrap] recovers it, so a new clerk can read old
// bills. To cut a member off, make a new OrgKey and grant it to everyone else: bills
// sealed after that are closed to the revoked member.
package wallet

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// SecretSize is the size of an identity's secret and of an org key's seed.
const SecretSize = 32

// Derivation labels: each key has its own, so no two keys share material.
const (
	labelSign = "ebill/v1/ed25519"
	labelKEM  = "ebill/v1/hpke-mlkem768x25519"
)

// Identity is a named secret with the keys derived from it. Its String and GoString
// methods show only the name and the address, so logging an Identity reveals nothing.
type Identity struct {
	name   string
	secret [SecretSize]byte
	sign   ed25519.PrivateKey
	kemKey
}

// NewIdentity makes an identity with a fresh random secret. The name labels it in a [Store]:
// letters, digits and ". _ - @", at most 64 bytes, not starting with "." or "-".
func NewIdentity(name string) (*Identity, error) {
	var secret [SecretSize]byte
	rand.Read(secret[:])
	return newIdentity(name, secret[:])
}

// newIdentity derives every key up front: the ML-KEM key expansion costs more than a
// signature, and an identity is used many times.
func newIdentity(name string, secret []byte) (*Identity, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if len(secret) != SecretSize {
		return nil, fmt.Errorf("wallet: identity %q: secret is %d bytes, want %d: %w", name, len(secret), SecretSize, ErrCorrupt)
	}
	id := &Identity{name: name}
	copy(id.secret[:], secret)
	seed, err := hkdf.Key(sha256.New, id.secret[:], nil, labelSign, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("wallet: derive signing key: %w", err)
	}
	id.sign = ed25519.NewKeyFromSeed(seed)
	if id.kemKey, err = deriveKEM(id.secret[:]); err != nil {
		return nil, err
	}
	return id, nil
}

// Name returns the identity's name.
func (id *Identity) Name() string { return id.name }

// PublicKey returns the Ed25519 public key that verifies the identity's signatures.
func (id *Identity) PublicKey() ed25519.PublicKey { return id.sign.Public().(ed25519.PublicKey) }

// Sign signs exactly msg with Ed25519 (no prefix, no hashing).
func (id *Identity) Sign(msg []byte) []byte { return ed25519.Sign(id.sign, msg) }

// Public returns the identity's public half.
func (id *Identity) Public() Public {
	pub := id.PublicKey()
	return Public{Name: id.name, SignKey: pub, KEMKey: id.KEMPublic(), Address: Address(pub)}
}

// String and GoString have value receivers so that a dereferenced Identity prints safely too.
func (id Identity) String() string   { return id.name + " (" + Address(id.PublicKey()) + ")" }
func (id Identity) GoString() string { return "wallet.Identity{" + id.String() + "}" }

// Verify reports whether sig is pub's Ed25519 signature of exactly msg. Unlike
// ed25519.Verify it returns false, not a panic, for a key of the wrong length.
func Verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, msg, sig)
}

// Address returns the short printable form of a signing key: "eb1" and the lowercase
// base32 of the first 20 bytes of its SHA-256.
func Address(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return "eb1" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:20]))
}

// Public is an identity's public half, as the ledger registers it. In JSON the keys are
// hex strings; decoding checks the key sizes and that Address belongs to SignKey.
type Public struct {
	Name    string
	SignKey ed25519.PublicKey
	KEMKey  []byte
	Address string
}

type publicJSON struct {
	Name    string `json:"name"`
	SignKey string `json:"sign_key"`
	KEMKey  string `json:"kem_key"`
	Address string `json:"address"`
}

// MarshalJSON encodes the keys as hex.
func (p Public) MarshalJSON() ([]byte, error) {
	return json.Marshal(publicJSON{p.Name, hex.EncodeToString(p.SignKey), hex.EncodeToString(p.KEMKey), p.Address})
}

// UnmarshalJSON decodes and checks a public identity; an empty address is filled in.
func (p *Public) UnmarshalJSON(b []byte) error {
	var j publicJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("wallet: public identity: %w", err)
	}
	sk, err := hex.DecodeString(j.SignKey)
	if err != nil || len(sk) != ed25519.PublicKeySize {
		return fmt.Errorf("wallet: public identity %q: sign_key is not %d hex bytes", j.Name, ed25519.PublicKeySize)
	}
	kk, err := hex.DecodeString(j.KEMKey)
	if err != nil || len(kk) != kemPublicSize {
		return fmt.Errorf("wallet: public identity %q: kem_key is not %d hex bytes", j.Name, kemPublicSize)
	}
	addr := Address(sk)
	if j.Address != "" && j.Address != addr {
		return fmt.Errorf("wallet: public identity %q: address %q does not match sign_key (%s)", j.Name, j.Address, addr)
	}
	*p = Public{Name: j.Name, SignKey: sk, KEMKey: kk, Address: addr}
	return nil
}

// kemSuite is the one HPKE ciphersuite of format version 1.
var (
	kemSuite  = hpke.MLKEM768X25519()
	kdfSuite  = hpke.HKDFSHA256()
	aeadSuite = hpke.AES256GCM()
)

// Sizes fixed by kemSuite; the binary formats rely on them.
const (
	kemPublicSize = 1216 // ML-KEM-768 encapsulation key + X25519 point
	kemEncSize    = 1120 // ML-KEM-768 ciphertext + X25519 point
	keyIDSize     = 8
)

// kemKey is an HPKE private key with its public bytes and key id, derived once.
type kemKey struct {
	priv hpke.PrivateKey
	pub  []byte
	id   [keyIDSize]byte
}

func deriveKEM(secret []byte) (kemKey, error) {
	seed, err := hkdf.Key(sha256.New, secret, nil, labelKEM, 32)
	if err != nil {
		return kemKey{}, fmt.Errorf("wallet: derive KEM key: %w", err)
	}
	priv, err := kemSuite.NewPrivateKey(seed)
	if err != nil {
		return kemKey{}, fmt.Errorf("wallet: derive KEM key: %w", err)
	}
	pub := priv.PublicKey().Bytes()
	return kemKey{priv: priv, pub: pub, id: keyID(pub)}, nil
}

// KEMPublic returns the HPKE (ML-KEM-768+X25519) public key that envelopes and grants
// are sealed to.
func (k *kemKey) KEMPublic() []byte { return append([]byte(nil), k.pub...) }

func (k *kemKey) kem() *kemKey { return k }

// keyID names a recipient inside envelopes without repeating its 1216-byte key.
func keyID(kemPublic []byte) (id [keyIDSize]byte) {
	h := sha256.Sum256(kemPublic)
	copy(id[:], h[:])
	return id
}

// A Decrypter holds an HPKE private key: an [*Identity] or an [*OrgKey].
type Decrypter interface {
	KEMPublic() []byte
	kem() *kemKey
}
