package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"ebill/wallet"
)

// testStore runs the behaviour every Store promises. It leaves s as it found it, and its
// names carry a random tag, so that it can run against a keyring in use.
func testStore(t *testing.T, s wallet.Store) {
	t.Helper()
	ctx := context.Background()
	tag := fmt.Sprintf("-%08x", rand.Uint32())
	aliceName, bobName, carolName := "alice"+tag, "bob.王"+tag, "carol"+tag
	alice, bob := mustNew(t, aliceName), mustNew(t, bobName)
	before, err := s.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, id := range []*wallet.Identity{bob, alice} {
		if err := s.Save(ctx, id); err != nil {
			t.Fatalf("Save %s: %v", id.Name(), err)
		}
		t.Cleanup(func() { s.Delete(ctx, id.Name()) })
	}
	if err := s.Save(ctx, mustNew(t, aliceName)); !errors.Is(err, wallet.ErrExists) {
		t.Errorf("Save over alice: err = %v, want ErrExists", err)
	}
	names, err := s.List(ctx)
	if want := slices.Sorted(slices.Values(append(slices.Clone(before), aliceName, bobName))); err != nil || !slices.Equal(names, want) {
		t.Errorf("List = %q, %v; want %q", names, err, want)
	}
	got, err := s.Load(ctx, aliceName)
	if err != nil {
		t.Fatalf("Load alice: %v", err)
	}
	msg := []byte("signed after a round trip")
	if got.Name() != aliceName || !wallet.Verify(alice.PublicKey(), msg, got.Sign(msg)) || !bytes.Equal(got.KEMPublic(), alice.KEMPublic()) {
		t.Errorf("Load alice gave other keys: %v", got)
	}
	if err := s.Delete(ctx, aliceName); err != nil {
		t.Errorf("Delete alice: %v", err)
	}
	for _, tc := range []struct {
		op  string
		err error
	}{
		{"Load deleted", func() error { _, err := s.Load(ctx, aliceName); return err }()},
		{"Delete deleted", s.Delete(ctx, aliceName)},
		{"Load never saved", func() error { _, err := s.Load(ctx, carolName); return err }()},
	} {
		if !errors.Is(tc.err, wallet.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tc.op, tc.err)
		}
	}
	names, err = s.List(ctx)
	if want := slices.Sorted(slices.Values(append(slices.Clone(before), bobName))); err != nil || !slices.Equal(names, want) {
		t.Errorf("List after delete = %q, %v; want %q", names, err, want)
	}
	for _, bad := range []string{"../etc/passwd", "a/b", ""} {
		if _, err := s.Load(ctx, bad); err == nil || errors.Is(err, wallet.ErrNotFound) {
			t.Errorf("Load(%q): err = %v, want an invalid-name error", bad, err)
		}
	}
}

func TestMemoryStore(t *testing.T) { testStore(t, wallet.NewMemoryStore()) }

func TestFileStore(t *testing.T) {
	s, err := wallet.NewFileStore(t.TempDir(), []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, s)
}

// go-keyring's mock replaces the real provider for the rest of the process; the tests of
// the real Secret Service therefore run in a fresh process (see inFreshProcess).
func TestKeyringStoreMock(t *testing.T) {
	keyring.MockInit()
	testStore(t, wallet.NewKeyringStore(time.Second))
}

func TestKeyringStoreMockErrors(t *testing.T) {
	ctx := context.Background()
	keyring.MockInit()
	s := wallet.NewKeyringStore(time.Second)
	for _, tc := range []struct {
		name, value string
		want        error
	}{
		{"foreign", "hunter2", wallet.ErrFormat},
		{"badbase64", "ebill1:!!!", wallet.ErrCorrupt},
		{"short", "ebill1:AAAA", wallet.ErrCorrupt},
	} {
		keyring.Set("ebill", tc.name, tc.value)
		if _, err := s.Load(ctx, tc.name); !errors.Is(err, tc.want) {
			t.Errorf("Load %s: err = %v, want %v", tc.name, err, tc.want)
		}
	}

	cause := errors.New("org.freedesktop.secrets was not provided by any .service files")
	keyring.MockInitWithError(cause)
	defer keyring.MockInit()
	for _, tc := range []struct {
		op  string
		err error
	}{
		{"Save", s.Save(ctx, mustNew(t, "x"))},
		{"Load", func() error { _, err := s.Load(ctx, "x"); return err }()},
		{"List", func() error { _, err := s.List(ctx); return err }()},
		{"Delete", s.Delete(ctx, "x")},
	} {
		if !errors.Is(tc.err, wallet.ErrKeyringUnavailable) || !errors.Is(tc.err, cause) {
			t.Errorf("%s: err = %v, want ErrKeyringUnavailable wrapping the cause", tc.op, tc.err)
		}
	}
}
