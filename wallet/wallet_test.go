package wallet_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"ebill/wallet"
)

func mustNew(t testing.TB, name string) *wallet.Identity {
	t.Helper()
	id, err := wallet.NewIdentity(name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The derivation is a compatibility promise: if it changed, every stored identity would
// get new keys and lose its registration and its org grants.
func TestDerivationKnownAnswer(t *testing.T) {
	secret := bytes.Repeat([]byte{0x42}, wallet.SecretSize)
	id, err := wallet.FromSecret("kat", secret)
	if err != nil {
		t.Fatal(err)
	}
	kemHash := sha256.Sum256(id.KEMPublic())
	got := map[string]string{
		"sign_key": hex.EncodeToString(id.PublicKey()),
		"kem_hash": hex.EncodeToString(kemHash[:]),
		"address":  id.Public().Address,
	}
	want := map[string]string{
		// sign_key and address cross-checked with Python's hmac and OpenSSL's Ed25519.
		"sign_key": "0e20d02a5fc72f522bd60482ec9c7ca87ceb50ed5a916c83c3b943e94787655a",
		"kem_hash": "f33c8efe3462f1cbbf46e3bb3d31bcecd8ddca9f24fe9966a0ae5bbbf8c7638b",
		"address":  "eb1vfrfjmst6vhznxpdljt6paf7z7cuzgsz",
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s = %s, want %s", k, got[k], want[k])
		}
	}
	if bytes.Equal(wallet.SignSeedOf(id), secret) {
		t.Error("the signing seed is the secret itself, not derived from it")
	}
}

func TestSignVerify(t *testing.T) {
	id := mustNew(t, "cashier-01")
	other := mustNew(t, "cashier-02")
	msg := []byte("tx body bytes")
	sig := id.Sign(msg)
	for _, tc := range []struct {
		name string
		pub  ed25519.PublicKey
		msg  []byte
		sig  []byte
		want bool
	}{
		{"valid", id.PublicKey(), msg, sig, true},
		{"other message", id.PublicKey(), []byte("tx body bytez"), sig, false},
		{"other key", other.PublicKey(), msg, sig, false},
		{"flipped signature bit", id.PublicKey(), msg, flip(sig, 7), false},
		{"short signature", id.PublicKey(), msg, sig[:63], false},
		{"short key", id.PublicKey()[:31], msg, sig, false},
		{"nil key", nil, msg, sig, false},
	} {
		if got := wallet.Verify(tc.pub, tc.msg, tc.sig); got != tc.want {
			t.Errorf("%s: Verify = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The ledger's Signer interface.
var _ interface {
	PublicKey() ed25519.PublicKey
	Sign([]byte) []byte
} = (*wallet.Identity)(nil)

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"cashier-01", true},
		{"张三", true},
		{"clerk.li@bureau_32", true},
		{"", false},
		{".hidden", false},
		{"-flag", false},
		{"a/b", false},
		{`a\b`, false},
		{"..", false},
		{"a b", false},
		{"a:b", false},
		{"a\nb", false},
		{"bad\xffutf8", false},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
	} {
		_, err := wallet.NewIdentity(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("NewIdentity(%q): err = %v, want ok = %v", tc.name, err, tc.ok)
		}
	}
}

func TestPublicJSON(t *testing.T) {
	id := mustNew(t, "clerk")
	b, err := json.Marshal(id.Public())
	if err != nil {
		t.Fatal(err)
	}
	var p wallet.Public
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("round trip of %s: %v", b, err)
	}
	if p.Name != "clerk" || !p.SignKey.Equal(id.PublicKey()) || !bytes.Equal(p.KEMKey, id.KEMPublic()) || p.Address != id.Public().Address {
		t.Errorf("round trip gave %+v", p)
	}
	if !strings.HasPrefix(p.Address, "eb1") || len(p.Address) != 35 {
		t.Errorf("address %q, want eb1 and 32 base32 characters", p.Address)
	}

	var m map[string]string
	json.Unmarshal(b, &m)
	for _, tc := range []struct {
		name  string
		field string
		value string
	}{
		{"short sign key", "sign_key", m["sign_key"][2:]},
		{"not hex", "sign_key", "zz" + m["sign_key"][2:]},
		{"short kem key", "kem_key", m["kem_key"][4:]},
		{"foreign address", "address", mustNew(t, "x").Public().Address},
	} {
		bad := map[string]string{}
		for k, v := range m {
			bad[k] = v
		}
		bad[tc.field] = tc.value
		b, _ := json.Marshal(bad)
		if err := json.Unmarshal(b, new(wallet.Public)); err == nil {
			t.Errorf("%s: decoded without error", tc.name)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func Example() {
	id, err := wallet.NewIdentity("cashier-01")
	if err != nil {
		panic(err)
	}
	tx := []byte("exact bytes of a transaction")
	sig := id.Sign(tx)
	fmt.Println(wallet.Verify(id.PublicKey(), tx, sig), strings.HasPrefix(id.Public().Address, "eb1"))
	// Output: true true
}
