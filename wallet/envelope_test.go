package wallet_test

import (
	"bytes"
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/internal/golden"
	"ebill/wallet"
)

func mustOrg(t testing.TB) *wallet.OrgKey {
	t.Helper()
	k, err := wallet.NewOrgKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestEnvelopeOpensForEitherRecipient(t *testing.T) {
	hospital, bureau := mustOrg(t), mustOrg(t)
	clerk := mustNew(t, "clerk")
	payload := bytes.Repeat([]byte("门诊 bill "), 200)
	aad := wallet.AAD("ebill-js-1", "bill-7")
	env, err := wallet.Seal(payload, aad, hospital.KEMPublic(), bureau.KEMPublic(), clerk.KEMPublic())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := wallet.ParseEnvelope(env.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]wallet.Decrypter{"hospital": hospital, "bureau": bureau, "identity": clerk} {
		got, err := parsed.Open(aad, key)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("%s: Open = %d bytes, %v", name, len(got), err)
		}
		if !parsed.SealedTo(key.KEMPublic()) {
			t.Errorf("%s: SealedTo = false", name)
		}
	}
	if parsed.SealedTo(mustOrg(t).KEMPublic()) {
		t.Error("SealedTo a stranger = true")
	}
}

func TestEnvelopeRefuses(t *testing.T) {
	hospital, bureau, stranger := mustOrg(t), mustOrg(t), mustOrg(t)
	aad := wallet.AAD("ebill-js-1", "bill-7")
	env, err := wallet.Seal([]byte("payload"), aad, hospital.KEMPublic(), bureau.KEMPublic())
	if err != nil {
		t.Fatal(err)
	}
	b := env.Marshal()
	const slot0 = 5 // magic, version, count
	const enc = 8   // after the key id
	const wrapped = enc + 1120
	last := len(b) - 1
	for _, tc := range []struct {
		name string
		b    []byte
		aad  []byte
		key  wallet.Decrypter
		want error
	}{
		{"third party", b, aad, stranger, wallet.ErrNotRecipient},
		{"flipped ciphertext bit", flip(b, last), aad, hospital, wallet.ErrCorrupt},
		{"flipped wrapped-key bit", flip(b, slot0+wrapped+3), aad, hospital, wallet.ErrCorrupt},
		{"flipped KEM ciphertext bit", flip(b, slot0+enc+3), aad, hospital, wallet.ErrCorrupt},
		{"flipped key id bit", flip(b, slot0+1), aad, hospital, wallet.ErrNotRecipient},
		{"other bill", b, wallet.AAD("ebill-js-1", "bill-8"), hospital, wallet.ErrCorrupt},
		{"other chain", b, wallet.AAD("ebill-js-2", "bill-7"), bureau, wallet.ErrCorrupt},
		{"shifted AAD fields", b, wallet.AAD("ebill-js-1b", "ill-7"), bureau, wallet.ErrCorrupt},
		{"no AAD", b, nil, bureau, wallet.ErrCorrupt},
	} {
		env, err := wallet.ParseEnvelope(tc.b)
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		pt, err := env.Open(tc.aad, tc.key)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Open = %q, %v; want %v", tc.name, pt, err, tc.want)
		}
	}
	// The other recipient's slot is untouched by a flip in the first one.
	env, _ = wallet.ParseEnvelope(flip(b, slot0+wrapped+3))
	if _, err := env.Open(aad, bureau); err != nil {
		t.Errorf("bureau after a flip in the hospital's slot: %v", err)
	}
}

// goldenV1 is an envelope that Seal wrote before payloads were compressed (version 1),
// sealed to the identity it returns.
func goldenV1(t testing.TB) ([]byte, *wallet.Identity, []byte, []byte) {
	t.Helper()
	b := golden.Read(t, "testdata/vectors/envelope-v1.bin")
	id, err := wallet.FromSecret("golden", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return b, id, []byte(`{"kind":"outpatient","payer":"张三","total":"12.50"}`), wallet.AAD("ebill-demo", "H-1/MZ-1")
}

// TestEnvelopeVersions opens a version 1 envelope from before compression, and refuses
// either version passed off as the other.
func TestEnvelopeVersions(t *testing.T) {
	v1, id, want, aad := goldenV1(t)
	env, err := wallet.ParseEnvelope(v1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := env.Open(aad, id); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("version 1: Open = %q, %v; want %q", got, err, want)
	}
	if !bytes.Equal(env.Marshal(), v1) {
		t.Error("version 1: Marshal(ParseEnvelope(b)) != b")
	}
	v2 := mustSeal(t, want, id.KEMPublic())
	b2 := v2.Marshal()
	if b2[3] != 2 {
		t.Fatalf("Seal wrote version %d, want 2", b2[3])
	}
	for _, tc := range []struct {
		name string
		b    []byte
		aad  []byte // the one it was sealed with
	}{
		{"version 1 relabelled 2", append([]byte("EBE\x02"), v1[4:]...), aad},
		{"version 2 relabelled 1", append([]byte("EBE\x01"), b2[4:]...), wallet.AAD("c", "before")},
	} {
		env, err := wallet.ParseEnvelope(tc.b)
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		if pt, err := env.Open(tc.aad, id); !errors.Is(err, wallet.ErrCorrupt) {
			t.Errorf("%s: Open = %q, %v; want %v", tc.name, pt, err, wallet.ErrCorrupt)
		}
	}
}

// TestEnvelopeCompresses: a bill's JSON is sealed in about half its size, and data that
// does not compress still round-trips at about its own size.
func TestEnvelopeCompresses(t *testing.T) {
	k := mustOrg(t)
	aad := wallet.AAD("c", "before") // mustSeal's
	item := `{"code":"310100001","name":"挂号费","category":"挂号","unit":"次","quantity":"1","price":"10.00","amount":"10.00"},`
	bill := []byte(`{"kind":"outpatient","items":[` + strings.Repeat(item, 6) + `]}`)
	noise := make([]byte, 2048)
	rand.Read(noise)
	for _, tc := range []struct {
		name    string
		payload []byte
		atMost  int // marshalled size
	}{
		{"bill JSON", bill, 25 + 1176 + len(bill)/2},
		{"random bytes", noise, 25 + 1176 + len(noise) + 16 + 64},
		{"empty", nil, 25 + 1176 + 16 + 8},
	} {
		env := mustSeal(t, tc.payload, k.KEMPublic())
		b := env.Marshal()
		if len(b) > tc.atMost {
			t.Errorf("%s: %d-byte payload sealed in %d bytes, want at most %d", tc.name, len(tc.payload), len(b), tc.atMost)
		}
		parsed, err := wallet.ParseEnvelope(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parsed.Open(aad, k)
		if err != nil || !bytes.Equal(got, tc.payload) {
			t.Errorf("%s: Open = %d bytes, %v; want the %d sealed", tc.name, len(got), err, len(tc.payload))
		}
	}
}

func TestParseEnvelope(t *testing.T) {
	k := mustOrg(t)
	b := mustSeal(t, []byte("x"), k.KEMPublic()).Marshal()
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, wallet.ErrFormat},
		{"other format", []byte("%PDF-1.7 ..."), wallet.ErrFormat},
		{"unknown version", append([]byte("EBE\x03"), b[4:]...), wallet.ErrFormat},
		{"magic only", b[:4], wallet.ErrCorrupt},
		{"no recipients", append([]byte("EBE\x01\x00"), b[5:]...), wallet.ErrCorrupt},
		{"too many recipients", append([]byte("EBE\x01\xff"), b[5:]...), wallet.ErrCorrupt},
		{"truncated slot", b[:100], wallet.ErrCorrupt},
		{"truncated payload", b[:len(b)-1], wallet.ErrCorrupt},
		{"trailing byte", append(bytes.Clone(b), 0), wallet.ErrCorrupt},
	} {
		if _, err := wallet.ParseEnvelope(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSealRefuses(t *testing.T) {
	k := mustOrg(t)
	many := make([][]byte, wallet.MaxRecipients+1)
	for i := range many {
		many[i] = mustOrg(t).KEMPublic()
	}
	for _, tc := range []struct {
		name       string
		payload    []byte
		recipients [][]byte
	}{
		{"no recipient", nil, nil},
		{"too many recipients", nil, many},
		{"repeated recipient", nil, [][]byte{k.KEMPublic(), k.KEMPublic()}},
		{"short key", nil, [][]byte{k.KEMPublic()[1:]}},
		{"oversize payload", make([]byte, wallet.MaxPayload+1), [][]byte{k.KEMPublic()}},
	} {
		if _, err := wallet.Seal(tc.payload, nil, tc.recipients...); err == nil {
			t.Errorf("%s: sealed without error", tc.name)
		}
	}
}

// A member cut off by rotation keeps the old org key but cannot read what is sealed to
// the new one; the remaining member reads both.
func TestRotationRevokes(t *testing.T) {
	stays, leaves := mustNew(t, "stays"), mustNew(t, "leaves")
	old := mustOrg(t)
	unwrap := func(who *wallet.Identity, org *wallet.OrgKey) *wallet.OrgKey {
		t.Helper()
		g, err := wallet.Grant(org, who.KEMPublic())
		if err != nil {
			t.Fatal(err)
		}
		k, err := who.Unwrap(g)
		if err != nil {
			t.Fatalf("%s unwraps: %v", who.Name(), err)
		}
		return k
	}
	leavesOld := unwrap(leaves, old)
	aad := wallet.AAD("c", "before")
	before := mustSeal(t, []byte("before"), old.KEMPublic())
	if _, err := before.Open(aad, leavesOld); err != nil {
		t.Fatalf("member before rotation: %v", err)
	}

	rotated := mustOrg(t)
	staysNew, staysOld := unwrap(stays, rotated), unwrap(stays, old)
	after := mustSeal(t, []byte("after"), rotated.KEMPublic())
	if _, err := after.Open(aad, leavesOld); !errors.Is(err, wallet.ErrNotRecipient) {
		t.Errorf("revoked member opens a bill sealed after rotation: err = %v", err)
	}
	if _, err := after.Open(aad, staysNew); err != nil {
		t.Errorf("remaining member, new bill: %v", err)
	}
	if _, err := before.Open(aad, staysOld); err != nil {
		t.Errorf("remaining member, old bill: %v", err)
	}
}

func TestUnwrapRefuses(t *testing.T) {
	member, other := mustNew(t, "member"), mustNew(t, "other")
	org := mustOrg(t)
	g, err := wallet.Grant(org, member.KEMPublic())
	if err != nil {
		t.Fatal(err)
	}
	// A grant whose header names another org key, re-sealed by nobody: the HPKE aad breaks.
	relabeled := bytes.Clone(g)
	copy(relabeled[4:12], bytes.Repeat([]byte{0xee}, 8))
	for _, tc := range []struct {
		name  string
		who   *wallet.Identity
		grant []byte
		want  error
	}{
		{"other member", other, g, wallet.ErrNotRecipient},
		{"flipped sealed-seed bit", member, flip(g, len(g)-5), wallet.ErrNotRecipient},
		{"relabeled key id", member, relabeled, wallet.ErrNotRecipient},
		{"truncated", member, g[:len(g)-1], wallet.ErrCorrupt},
		{"an envelope", member, mustSeal(t, []byte("x"), member.KEMPublic()).Marshal(), wallet.ErrFormat},
	} {
		if _, err := tc.who.Unwrap(tc.grant); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := wallet.Grant(org, member.KEMPublic()[:100]); err == nil {
		t.Error("Grant to a short key: no error")
	}
}

// mustSeal seals with the AAD of bill "before" on chain "c", as the tests above open.
func mustSeal(t testing.TB, payload []byte, recipients ...[]byte) *wallet.Envelope {
	t.Helper()
	env, err := wallet.Seal(payload, wallet.AAD("c", "before"), recipients...)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func ExampleSeal() {
	hospital, _ := wallet.NewOrgKey()
	bureau, _ := wallet.NewOrgKey()

	// A cashier seals a bill to both organisations and stores the bytes on the ledger.
	aad := wallet.AAD("ebill-js-1", "32060126-0000000042")
	env, err := wallet.Seal([]byte(`{"total_fen":12800}`), aad, hospital.KEMPublic(), bureau.KEMPublic())
	if err != nil {
		panic(err)
	}
	stored := env.Marshal()

	// A finance clerk, holding the bureau key through a grant, reads it back.
	clerk, _ := wallet.NewIdentity("clerk-li")
	grant, _ := wallet.Grant(bureau, clerk.KEMPublic())
	key, err := clerk.Unwrap(grant)
	if err != nil {
		panic(err)
	}
	env, err = wallet.ParseEnvelope(stored)
	if err != nil {
		panic(err)
	}
	payload, err := env.Open(aad, key)
	fmt.Println(string(payload), err)

	// The same bytes presented as another bill do not open.
	_, err = env.Open(wallet.AAD("ebill-js-1", "32060126-0000000043"), key)
	fmt.Println(errors.Is(err, wallet.ErrCorrupt))
	// Output:
	// {"total_fen":12800} <nil>
	// true
}

// benchBill is what a desk seals: the canonical JSON of a 6-item outpatient bill (1.6 KB).
func benchBill(b *testing.B) []byte {
	p, err := bill.Sample(bill.Outpatient, "H32010001", "MZ-1", 6, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkSealBill2Recipients(b *testing.B) {
	r1, r2 := mustOrg(b), mustOrg(b)
	payload, aad := benchBill(b), wallet.AAD("ebill-js-1", "bill-7")
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		env, err := wallet.Seal(payload, aad, r1.KEMPublic(), r2.KEMPublic())
		if err != nil {
			b.Fatal(err)
		}
		env.Marshal()
	}
}

func BenchmarkOpenBill2Recipients(b *testing.B) {
	r1, r2 := mustOrg(b), mustOrg(b)
	payload, aad := benchBill(b), wallet.AAD("ebill-js-1", "bill-7")
	env, err := wallet.Seal(payload, aad, r1.KEMPublic(), r2.KEMPublic())
	if err != nil {
		b.Fatal(err)
	}
	stored := env.Marshal()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		env, err := wallet.ParseEnvelope(stored)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := env.Open(aad, r2); err != nil { // the second slot: the worse case
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(stored)), "envelope-bytes")
}

func BenchmarkNewIdentity(b *testing.B) {
	for b.Loop() {
		mustNew(b, "bench")
	}
}

// Whatever the ledger hands back, parsing neither panics nor accepts bytes it would not
// write itself.
func FuzzParseEnvelope(f *testing.F) {
	k := mustOrg(f)
	f.Add(mustSeal(f, []byte("payload"), k.KEMPublic()).Marshal())
	f.Add([]byte("EBE\x01\x01"))
	v1, _, _, _ := goldenV1(f)
	f.Add(v1)
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := wallet.ParseEnvelope(b)
		if err != nil {
			return
		}
		if !bytes.Equal(env.Marshal(), b) {
			t.Errorf("Marshal(ParseEnvelope(b)) != b")
		}
		if _, err := env.Open(nil, k); err == nil {
			t.Errorf("a fuzzed envelope opened")
		}
	})
}

// BenchmarkStdlibHPKESeal is the yardstick for Seal: crypto/hpke alone sealing a 32-byte
// key to one X-Wing key. Seal to two recipients should cost about twice this; the rest is
// AES-GCM over the payload and the parsing of the recipient keys.
func BenchmarkStdlibHPKESeal(b *testing.B) {
	pk, err := hpke.MLKEM768X25519().NewPublicKey(mustOrg(b).KEMPublic())
	if err != nil {
		b.Fatal(err)
	}
	key := make([]byte, 32)
	for b.Loop() {
		if _, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.AES256GCM(), nil, key); err != nil {
			b.Fatal(err)
		}
	}
}
