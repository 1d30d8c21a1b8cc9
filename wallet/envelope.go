package wallet

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Envelope format, version 2 (all integers big-endian):
//
//	"EBE" 0x02                       magic and version
//	n        uint8                   recipients, 1..MaxRecipients
//	n × slot                         key id (8) ‖ HPKE enc (1120) ‖ sealed data key (48)
//	len      uint32                  payload ciphertext length, ≤ MaxPayload+16
//	payload  AES-256-GCM(data key, nonce 0, "ebill/v2/deflate" ‖ aad) of the DEFLATE-
//	         compressed plaintext
//
// Version 1, which Seal wrote before, is the same with the plaintext as it is and aad
// alone authenticated; it still opens. The version is authenticated with the payload, so
// one cannot pass for the other. A bill's JSON shrinks to about half, which is a sixth
// of what every validator receives, stores and indexes per bill.
//
// A data key seals exactly one payload, so the all-zero nonce is never reused.
const (
	envMagic      = "EBE"
	version1      = 1
	version2      = 2
	slotSize      = keyIDSize + kemEncSize + SecretSize + 16
	labelEnvelope = "ebill/v1/envelope"
	labelDeflate  = "ebill/v2/deflate"
	labelNote     = "ebill/v2/note"
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
	version    byte
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
// space: the marshalled envelope is 1,176 bytes per recipient plus the compressed payload
// and 25.
func Seal(plaintext, aad []byte, recipients ...[]byte) (*Envelope, error) {
	if len(recipients) == 0 || len(recipients) > MaxRecipients {
		return nil, fmt.Errorf("wallet: seal: %d recipients, want 1 to %d", len(recipients), MaxRecipients)
	}
	if len(plaintext) > MaxPayload {
		return nil, fmt.Errorf("wallet: seal: payload of %d bytes exceeds %d", len(plaintext), MaxPayload)
	}
	var dataKey [SecretSize]byte
	rand.Read(dataKey[:])
	env := &Envelope{version: version2, ciphertext: gcm(dataKey[:]).Seal(nil, zeroNonce[:], deflate(plaintext), payloadAAD(version2, aad))}
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
	dataKey, err := e.dataKey(aad, key)
	if err != nil {
		return nil, err
	}
	pt, err := gcm(dataKey).Open(nil, zeroNonce[:], e.ciphertext, payloadAAD(e.version, aad))
	if err != nil {
		return nil, fmt.Errorf("wallet: open envelope: payload fails authentication (altered, or other chain or bill): %w", ErrCorrupt)
	}
	if e.version == version1 {
		return pt, nil
	}
	return inflate(pt)
}

// dataKey opens key's slot of the envelope.
func (e *Envelope) dataKey(aad []byte, key Decrypter) ([]byte, error) {
	k := key.kem()
	matched := false
	for _, s := range e.slots {
		if s.id != k.id {
			continue
		}
		matched = true
		dataKey, err := hpkeOpen(k.priv, labelEnvelope, aad, s.sealed)
		if err == nil && len(dataKey) == SecretSize {
			return dataKey, nil
		}
		// a key-id collision with another recipient, or tampering: try the next
	}
	if !matched {
		return nil, fmt.Errorf("wallet: open envelope: %w", ErrNotRecipient)
	}
	return nil, fmt.Errorf("wallet: open envelope: data key fails authentication (altered, or other chain or bill): %w", ErrCorrupt)
}

// NoteKey seals the free text that goes with one sealed payload (a rejection reason, a
// withdrawal note) for exactly its recipients: it is derived from the envelope's data key,
// so whoever can open the envelope can open its notes, and nobody else. A note costs
// NoteOverhead bytes beyond its text instead of a second envelope's 1,176 per recipient.
type NoteKey struct{ aead cipher.AEAD }

// NoteOverhead is what [NoteKey.Seal] adds to a note: nonce and tag.
const NoteOverhead = 12 + 16

// NoteKey opens key's slot of the envelope and derives the key of its notes.
func (e *Envelope) NoteKey(aad []byte, key Decrypter) (*NoteKey, error) {
	dataKey, err := e.dataKey(aad, key)
	if err != nil {
		return nil, err
	}
	nk, err := hkdf.Key(sha256.New, dataKey, nil, labelNote, SecretSize)
	if err != nil {
		return nil, fmt.Errorf("wallet: note key: %w", err)
	}
	return &NoteKey{gcm(nk)}, nil
}

// Seal encrypts note under a random nonce; aad (use [AAD] with the chain and bill id, and
// what the note is for) must be given again to Open.
func (k *NoteKey) Seal(note, aad []byte) []byte {
	nonce := make([]byte, 12, 12+len(note)+16)
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, note, aad)
}

// Open decrypts a note made by Seal; an altered note, or another aad, is [ErrCorrupt].
func (k *NoteKey) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < NoteOverhead {
		return nil, fmt.Errorf("wallet: open note: %d bytes: %w", len(sealed), ErrCorrupt)
	}
	pt, err := k.aead.Open(nil, sealed[:12], sealed[12:], aad)
	if err != nil {
		return nil, fmt.Errorf("wallet: open note: %w", ErrCorrupt)
	}
	return pt, nil
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
	b := make([]byte, 0, len(envMagic)+2+len(e.slots)*slotSize+4+len(e.ciphertext))
	b = append(b, envMagic...)
	b = append(b, e.version, byte(len(e.slots)))
	for _, s := range e.slots {
		b = append(b, s.id[:]...)
		b = append(b, s.sealed...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.ciphertext)))
	return append(b, e.ciphertext...)
}

// ParseEnvelope decodes an envelope made by [Envelope.Marshal]. It returns an error
// wrapping [ErrFormat] for bytes that are not a version 1 or 2 envelope and [ErrCorrupt]
// for a truncated or inconsistent one. The result does not share memory with b.
func ParseEnvelope(b []byte) (*Envelope, error) {
	if !bytes.HasPrefix(b, []byte(envMagic)) {
		return nil, fmt.Errorf("wallet: parse envelope: %w", ErrFormat)
	}
	if len(b) < len(envMagic)+2 {
		return nil, fmt.Errorf("wallet: parse envelope: %d bytes: %w", len(b), ErrCorrupt)
	}
	version := b[3]
	if version != version1 && version != version2 {
		return nil, fmt.Errorf("wallet: parse envelope: version %d: %w", version, ErrFormat)
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
	e := &Envelope{version: version, slots: make([]slot, n)}
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

// payloadAAD is what AES-GCM authenticates with the payload: a version 2 payload binds its
// version, so that flipping the version byte breaks authentication instead of handing out
// compressed bytes as the plaintext.
func payloadAAD(version byte, aad []byte) []byte {
	if version == version1 {
		return aad
	}
	return append([]byte(labelDeflate), aad...)
}

// deflaters keeps compressors between seals: each holds several hundred KB of tables.
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestCompression) // cannot fail for a valid level
	return w
}}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&out)
	w.Write(b) // a bytes.Buffer does not fail
	w.Close()
	return out.Bytes()
}

// inflate decompresses an authenticated payload, refusing one that would exceed
// MaxPayload: only a sealer with the data key could make one, but a bug there must not
// exhaust a clerk's memory.
func inflate(b []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	pt, err := io.ReadAll(io.LimitReader(r, MaxPayload+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("wallet: open envelope: decompress payload: %v: %w", err, ErrCorrupt)
	case len(pt) > MaxPayload:
		return nil, fmt.Errorf("wallet: open envelope: payload exceeds %d bytes: %w", MaxPayload, ErrCorrupt)
	}
	return pt, nil
}

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
