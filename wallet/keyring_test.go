package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"ebill/wallet"
)

// inFreshProcess reports whether the calling test runs in a child process of its own; if
// not, it runs the test there and reports false. go-keyring's MockInit replaces the real
// provider for good, so the tests of the real keyring must not share a process with the
// mock tests.
func inFreshProcess(t *testing.T) bool {
	t.Helper()
	if os.Getenv("EBILL_WALLET_CHILD") == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "EBILL_WALLET_CHILD="+t.Name())
	out, err := cmd.CombinedOutput()
	t.Logf("child process:\n%s", out)
	if err != nil {
		t.Fatalf("child process: %v", err)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatal("child process did not run the test")
	}
	return false
}

// Against the real Secret Service: `make test` starts gnome-keyring, unlocked, in a
// private D-Bus session and sets EBILL_KEYRING_IT=1.
func TestKeyringSecretService(t *testing.T) {
	if os.Getenv("EBILL_KEYRING_IT") != "1" {
		t.Skip("set EBILL_KEYRING_IT=1 with an unlocked Secret Service (make test does)")
	}
	if !inFreshProcess(t) {
		return
	}
	s := wallet.NewKeyringStore(10 * time.Second)
	testStore(t, s)

	// Export what the keyring holds and import it back.
	ctx := context.Background()
	id := mustNew(t, "it-export")
	if err := s.Save(ctx, id); err != nil {
		t.Fatal(err)
	}
	defer s.Delete(ctx, id.Name())
	loaded, err := s.Load(ctx, id.Name())
	if err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if err := wallet.Export(&backup, loaded, pass); err != nil {
		t.Fatal(err)
	}
	back, err := wallet.Import(&backup, pass)
	if err != nil || !back.PublicKey().Equal(id.PublicKey()) {
		t.Fatalf("Import of the export = %v, %v", back, err)
	}
	if err := s.Delete(ctx, id.Name()); err != nil {
		t.Fatal(err)
	}
}

// Without a Secret Service (headless, no session bus) the store says so at once.
func TestKeyringWithoutSecretService(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	s := wallet.NewKeyringStore(10 * time.Second)
	start := time.Now()
	_, err := s.List(context.Background())
	if !errors.Is(err, wallet.ErrKeyringUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want ErrKeyringUnavailable with the bus error", err)
	}
	if d := time.Since(start); d > 5*time.Second { // the timeout is 10 s
		t.Errorf("took %v", d)
	}
	t.Log(err)
}

// A bus that accepts the connection and never answers (a keyring waiting on a prompt)
// costs the timeout, not a hang.
func TestKeyringTimeout(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	sock := filepath.Join(t.TempDir(), "silent-bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)
	const timeout = 300 * time.Millisecond
	s := wallet.NewKeyringStore(timeout)
	for _, tc := range []struct {
		op string
		f  func(context.Context) error
	}{
		{"Save", func(ctx context.Context) error { return s.Save(ctx, mustNew(t, "clerk")) }},
		{"Load", func(ctx context.Context) error { _, err := s.Load(ctx, "clerk"); return err }},
		{"List", func(ctx context.Context) error { _, err := s.List(ctx); return err }},
		{"Delete", func(ctx context.Context) error { return s.Delete(ctx, "clerk") }},
	} {
		start := time.Now()
		err := tc.f(context.Background())
		d := time.Since(start)
		if !errors.Is(err, wallet.ErrKeyringUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want ErrKeyringUnavailable after the deadline", tc.op, err)
		}
		if d < timeout || d > timeout+3*time.Second { // generous: the machine is shared
			t.Errorf("%s: returned after %v, want about %v", tc.op, d, timeout)
		}
	}
	// The caller's own deadline counts too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Load(ctx, "clerk"); !errors.Is(err, context.Canceled) || !errors.Is(err, wallet.ErrKeyringUnavailable) {
		t.Errorf("cancelled context: err = %v", err)
	}
}
