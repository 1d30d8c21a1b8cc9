package wallet

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hpke"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// Envelope format, version 1 (all integers big-endian):
//
//	"EBE" 0x01                       magic and version
//	n        uint8                   recipients, 1..MaxRecipients
//	n × slot                         key id (8) ‖ HPKE enc (1120) ‖ sealed data key (48)
//	len      uint32                  payload ciphertext length, ≤ MaxPayload+16
//	payload  AES-256-GCM(data key, nonce 0, aad)
//
// A data key seals exactly one payload, so the all-zero nonce is never reused.
const (
	envMagic      = "EBE\x01"
	slotSize      = keyIDSize + kemEncSize + SecretSize + 16
	labelEnvelope = "ebill/v1/envelope"
)

// Bounds enforced by [Seal] and [ParseEnvelope].
const (
	MaxRecipients = 16
	MaxPayload    = 1 << 20
)

// ErrNotRecipient means the envelope holds no data key for the given key.
var ErrNotRecipient = errors.New("not a recipient of this envelope")

// Envelope is a payload sealed to one or more KEM public keys.
type Envelope struct {
	slots      []slot
	ciphertext []byte
}

type slot struct {
	id     [keyIDSize]byte
	sealed []byte // HPKE enc ‖ sealed data key
}

// AAD binds an envelope to one bill on one chain. The fields are length-prefixed so that
// no two (chainID, billID) pairs give the same bytes.
func AAD(chainID, billID string) []byte {
	b := []byte("ebill/v1/bill")
	for _, s := range []string{chainID, billID} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// Seal encrypts plaintext under a fresh data key and seals that key to each recipient
// KEM public key (see [Identity.KEMPublic], [OrgKey]). aad is authenticated, not
// encrypted, and must be given again to [Envelope.Open]. The post-quantum KEM costs
// space: the marshalled envelope is 1,176 bytes per recipient plus the payload and 25.
func Seal(plaintext, aad []byte, recipients ...[]byte) (*Envelope, error) {
	if len(recipients) == 0 || len(recipients) > MaxRecipients {
		return nil, fmt.Errorf("wallet: seal: %d recipients, want 1 to %d", len(recipients), MaxRecipients)
	}
	if len(plaintext) > MaxPayload {
		return nil, fmt.Errorf("wallet: seal: payload of %d bytes exceeds %d", len(plaintext), MaxPayload)
	}
	var dataKey [SecretSize]byte
	rand.Read(dataKey[:])
	env := &Envelope{ciphertext: gcm(dataKey[:]).Seal(nil, zeroNonce[:], plaintext, aad)}
	for i, r := range recipients {
		pk, err := kemSuite.NewPublicKey(r)
		if err != nil {
			return nil, fmt.Errorf("wallet: seal: recipient %d: %w", i, err)
		}
		id := keyID(r)
		for _, s := range env.slots {
			if s.id == id {
				return nil, fmt.Errorf("wallet: seal: recipient %d is given twice", i)
			}
		}
		sealed, err := hpkeSeal(pk, labelEnvelope, aad, dataKey[:])
		if err != nil {
			return nil, fmt.Errorf("wallet: seal: recipient %d: %w", i, err)
		}
		env.slots = append(env.slots, slot{id: id, sealed: sealed})
	}
	return env, nil
}

// Open decrypts the payload with key, which must be one of the recipients. It returns
// [ErrNotRecipient] if the envelope is not sealed to key, and an error wrapping
// [ErrCorrupt] if it was altered or aad differs from the sealing one.
func (e *Envelope) Open(aad []byte, key Decrypter) ([]byte, error) {
	k := key.kem()
	matched := false
	for _, s := range e.slots {
		if s.id != k.id {
			continue
		}
		matched = true
		dataKey, err := hpkeOpen(k.priv, labelEnvelope, aad, s.sealed)
		if err != nil || len(dataKey) != SecretSize {
			continue // a key-id collision with another recipient, or tampering: try the next
		}
		pt, err := gcm(dataKey).Open(nil, zeroNonce[:], e.ciphertext, aad)
		if err != nil {
			return nil, fmt.Errorf("wallet: open envelope: payload fails authentication (altered, or other chain or bill): %w", ErrCorrupt)
		}
		return pt, nil
	}
	if !matched {
		return nil, fmt.Errorf("wallet: open envelope: %w", ErrNotRecipient)
	}
	return nil, fmt.Errorf("wallet: open envelope: data key fails authentication (altered, or other chain or bill): %w", ErrCorrupt)
}

// SealedTo reports whether the envelope holds a data key for kemPublic. It does not
// prove that the key opens: only the holder of the private key can tell.
func (e *Envelope) SealedTo(kemPublic []byte) bool {
	id := keyID(kemPublic)
	for _, s := range e.slots {
		if s.id == id {
			return true
		}
	}
	return false
}

// Marshal encodes the envelope in its binary format.
func (e *Envelope) Marshal() []byte {
	b := make([]byte, 0, len(envMagic)+1+len(e.slots)*slotSize+4+len(e.ciphertext))
	b = append(b, envMagic...)
	b = append(b, byte(len(e.slots)))
	for _, s := range e.slots {
		b = append(b, s.id[:]...)
		b = append(b, s.sealed...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.ciphertext)))
	return append(b, e.ciphertext...)
}

// ParseEnvelope decodes an envelope made by [Envelope.Marshal]. It returns an error
// wrapping [ErrFormat] for bytes that are not a version 1 envelope and [ErrCorrupt] for a
// truncated or inconsistent one. The result does not share memory with b.
func ParseEnvelope(b []byte) (*Envelope, error) {
	if !bytes.HasPrefix(b, []byte(envMagic[:3])) {
		return nil, fmt.Errorf("wallet: parse envelope: %w", ErrFormat)
	}
	if len(b) < len(envMagic)+1 {
		return nil, fmt.Errorf("wallet: parse envelope: %d bytes: %w", len(b), ErrCorrupt)
	}
	if b[3] != envMagic[3] {
		return nil, fmt.Errorf("wallet: parse envelope: version %d: %w", b[3], ErrFormat)
	}
	n := int(b[4])
	rest := b[5:]
	if n == 0 || n > MaxRecipients {
		return nil, fmt.Errorf("wallet: parse envelope: %d recipients: %w", n, ErrCorrupt)
	}
	if len(rest) < n*slotSize+4 {
		return nil, fmt.Errorf("wallet: parse envelope: truncated: %w", ErrCorrupt)
	}
	buf := bytes.Clone(rest)
	e := &Envelope{slots: make([]slot, n)}
	for i := range e.slots {
		s := buf[i*slotSize : (i+1)*slotSize : (i+1)*slotSize]
		copy(e.slots[i].id[:], s)
		e.slots[i].sealed = s[keyIDSize:]
	}
	buf = buf[n*slotSize:]
	size := binary.BigEndian.Uint32(buf)
	if size > MaxPayload+16 || int(size) != len(buf)-4 {
		return nil, fmt.Errorf("wallet: parse envelope: payload length %d, have %d bytes: %w", size, len(buf)-4, ErrCorrupt)
	}
	e.ciphertext = buf[4:]
	return e, nil
}

var zeroNonce [12]byte

// gcm returns AES-256-GCM under a 32-byte key; it cannot fail for that key size.
func gcm(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("wallet: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("wallet: " + err.Error())
	}
	return aead
}

// hpkeSeal seals msg to pk in HPKE base mode and returns enc ‖ ciphertext. The label goes
// into the HPKE info, so a sealed envelope key cannot pass for a grant or the reverse.
func hpkeSeal(pk hpke.PublicKey, label string, aad, msg []byte) ([]byte, error) {
	enc, s, err := hpke.NewSender(pk, kdfSuite, aeadSuite, []byte(label))
	if err != nil {
		return nil, err
	}
	ct, err := s.Seal(aad, msg)
	if err != nil {
		return nil, err
	}
	return append(enc, ct...), nil
}

func hpkeOpen(k hpke.PrivateKey, label string, aad, sealed []byte) ([]byte, error) {
	if len(sealed) < kemEncSize {
		return nil, ErrCorrupt
	}
	r, err := hpke.NewRecipient(sealed[:kemEncSize], k, kdfSuite, aeadSuite, []byte(label))
	if err != nil {
		return nil, err
	}
	return r.Open(aad, sealed[kemEncSize:])
}
