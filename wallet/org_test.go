package wallet_test

import (
	"bytes"
	"errors"
	"testing"

	"ebill/wallet"
)

// A serial tag is the org's keyed hash of a business serial: members compute it from any
// epoch's key, a rotation keeps it, and another org's key (or no key) gives another tag.
func TestSerialTag(t *testing.T) {
	member := mustNew(t, "member")
	first := mustOrg(t)
	next, err := first.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(next.KEMPublic(), first.KEMPublic()) {
		t.Fatal("Rotate kept the key pair")
	}
	g, err := wallet.Grant(next, member.KEMPublic())
	if err != nil {
		t.Fatal(err)
	}
	unwrapped, err := member.Unwrap(g)
	if err != nil {
		t.Fatal(err)
	}
	tag := first.SerialTag("MZ20260105-0001")
	for name, k := range map[string]*wallet.OrgKey{"rotated": next, "rotated, through a grant": unwrapped} {
		if k.SerialTag("MZ20260105-0001") != tag {
			t.Errorf("%s key: tag differs from the first epoch's", name)
		}
	}
	if first.SerialTag("MZ20260105-0002") == tag || mustOrg(t).SerialTag("MZ20260105-0001") == tag {
		t.Error("another serial or another org gives the same tag")
	}
}

// A version 1 grant (seed only, no serial secret) is not a grant any more.
func TestGrantV1Refused(t *testing.T) {
	member := mustNew(t, "member")
	g, err := wallet.Grant(mustOrg(t), member.KEMPublic())
	if err != nil {
		t.Fatal(err)
	}
	v1 := bytes.Clone(g)
	v1[3] = 1
	if _, err := member.Unwrap(v1); !errors.Is(err, wallet.ErrFormat) {
		t.Errorf("version 1 grant: err = %v, want ErrFormat", err)
	}
}

// Notes open for every recipient of the envelope and nobody else; another bill's aad or a
// flipped bit does not open.
func TestNotes(t *testing.T) {
	hospital, bureau, outsider := mustOrg(t), mustOrg(t), mustOrg(t)
	env := mustSeal(t, []byte("bill"), hospital.KEMPublic(), bureau.KEMPublic())
	aad := wallet.AAD("c", "before")
	hk, err := env.NoteKey(aad, hospital)
	if err != nil {
		t.Fatal(err)
	}
	reason := []byte("金额与处方不符")
	sealed := hk.Seal(reason, []byte("reject"))
	if len(sealed) != len(reason)+wallet.NoteOverhead || bytes.Contains(sealed, reason) {
		t.Fatalf("sealed note of %d bytes for %d of text", len(sealed), len(reason))
	}
	bk, err := env.NoteKey(aad, bureau)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := bk.Open(sealed, []byte("reject")); err != nil || !bytes.Equal(got, reason) {
		t.Errorf("bureau opens %q, %v", got, err)
	}
	if _, err := env.NoteKey(aad, outsider); !errors.Is(err, wallet.ErrNotRecipient) {
		t.Errorf("outsider's note key: err = %v, want ErrNotRecipient", err)
	}
	for name, tc := range map[string]struct{ sealed, aad []byte }{
		"other purpose": {sealed, []byte("withdraw")},
		"flipped bit":   {flip(sealed, len(sealed)-1), []byte("reject")},
		"truncated":     {sealed[:10], []byte("reject")},
	} {
		if _, err := bk.Open(tc.sealed, tc.aad); !errors.Is(err, wallet.ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}
