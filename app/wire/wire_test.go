package wire

import (
	"bytes"
	"crypto/ed25519"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRecordRoundTrip checks that every record decodes to what was encoded, and that the
// decoders refuse every truncation and a trailing byte.
func TestRecordRoundTrip(t *testing.T) {
	pub := make([]byte, 32)
	pub[0] = 7
	at := time.Date(2026, 1, 5, 1, 2, 3, 4, time.UTC)
	records := []struct {
		value  any
		decode func([]byte) (any, error)
	}{
		{&Account{Pub: pub, EncKey: []byte{1}, Name: "王", Role: RoleCashier, Org: "H1", Seq: 300, Window: [2]uint64{5, 1 << 63}},
			func(b []byte) (any, error) { v, err := DecodeAccount(b); return &v, err }},
		{&Org{ID: "H1", Name: "医院", Kind: OrgHospital, Bureau: "B", EncKey: []byte{2}, KeyEpoch: 3, Bills: 9, Queued: 1},
			func(b []byte) (any, error) { v, err := DecodeOrg(b); return &v, err }},
		{&Grant{Org: "H1", Member: pub, Epoch: 2, Wrapped: []byte{3}, By: pub, Height: 5},
			func(b []byte) (any, error) { v, err := DecodeGrant(b); return &v, err }},
		{&Segment{Org: "H1", Code: "32060126", Start: 1, End: 9, Next: 4},
			func(b []byte) (any, error) { v, err := DecodeSegment(b); return &v, err }},
		{&BillRecord{ID: "0123456789abcdef0123456789abcdef", Kind: "outpatient", Org: "H1", Serial: "S", Code: "32060126",
			Total: -5, Created: at, Cashier: pub, CashierSig: make([]byte, 64), Status: StatusIssued, Revision: 2,
			Number: "0000000001", CheckCode: "abcdef", IssuedAt: at, RedOf: "r", Reviewer: pub, ReviewSig: make([]byte, 64),
			QueueSeq: 0, Events: []Event{{Type: EventIssued, Height: 3, Time: at, Actor: pub, Note: "n", Sealed: make([]byte, sealOverhead)}}},
			func(b []byte) (any, error) { v, err := DecodeBillRecord(b); return &v, err }},
	}
	for _, r := range records {
		enc := r.value.(interface{ Encode() []byte }).Encode()
		got, err := r.decode(enc)
		if err != nil || !reflect.DeepEqual(got, r.value) {
			t.Errorf("%T: round trip = %+v, %v", r.value, got, err)
		}
		for i := range enc {
			if _, err := r.decode(enc[:i]); err == nil {
				t.Errorf("%T: truncation to %d bytes decodes", r.value, i)
			}
		}
		if _, err := r.decode(append(enc, 0)); err == nil {
			t.Errorf("%T: trailing byte decodes", r.value)
		}
	}
}

// TestDecodeValidates re-signs a transaction whose bill code NewTx would never accept and
// checks that DecodeTx refuses it as invalid rather than letting it reach the rules.
func TestDecodeValidates(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	s := keySigner{priv}
	m := &SubmitBill{Kind: "outpatient", Org: "H1", Serial: "S", Code: "32060126", Total: 1, Revision: 1,
		Created: time.Unix(60, 0), Payload: []byte{1}, Signature: make([]byte, 64)}
	tx, err := NewTx("c", s, 1, m)
	if err != nil {
		t.Fatal(err)
	}
	unsigned := bytes.Replace(tx[:len(tx)-64], []byte("32060126"), []byte("3206012x"), 1)
	forged := append(unsigned, ed25519.Sign(priv, append([]byte(signTag), unsigned...))...)
	_, err = DecodeTx(forged)
	if code, _ := CodeOf(err); code != CodeInvalid || !strings.Contains(err.Error(), `"3206012x"`) {
		t.Errorf("DecodeTx of a bad bill code: %v, want invalid quoting the code", err)
	}
}

type keySigner struct{ priv ed25519.PrivateKey }

func (k keySigner) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k keySigner) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }
