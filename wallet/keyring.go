package wallet

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

const (
	keyringService = "ebill"
	// keyringIndex cannot clash with an identity: checkName refuses ':'.
	keyringIndex = "ebill:index"
	// keyringPrefix versions the stored secret (base64, 44 bytes: far below every OS's cap).
	keyringPrefix = "ebill1:"
)

// KeyringStore is a [Store] in the OS keyring, under the service "ebill": one entry per
// identity holding its secret, and one non-secret entry listing the names (keyrings
// cannot all list entries).
//
// Every method is bounded by the store's timeout, because a locked keyring may wait for
// a prompt nobody answers. On a timeout the keyring call is abandoned, not cancelled, and
// may still complete later. The index is kept consistent within one process only.
type KeyringStore struct {
	timeout time.Duration
	mu      sync.Mutex // serialises index updates
}

// NewKeyringStore returns a store in the OS keyring whose every method gives up after
// timeout (10 s if timeout ≤ 0) with [ErrKeyringUnavailable].
func NewKeyringStore(timeout time.Duration) *KeyringStore {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &KeyringStore{timeout: timeout}
}

// call runs f, which talks to the keyring, within ctx. Errors other than
// keyring.ErrNotFound become ErrKeyringUnavailable with their cause.
func call[T any](ctx context.Context, op string, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned call must not block forever
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && !errors.Is(r.err, keyring.ErrNotFound) {
			r.err = fmt.Errorf("wallet: keyring %s: %w: %w", op, ErrKeyringUnavailable, r.err)
		}
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("wallet: keyring %s: %w: %w", op, ErrKeyringUnavailable, context.Cause(ctx))
	}
}

func (s *KeyringStore) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.timeout, fmt.Errorf("no answer within %v: %w", s.timeout, context.DeadlineExceeded))
}

func kget(ctx context.Context, user string) (string, error) {
	return call(ctx, fmt.Sprintf("get %q", user), func() (string, error) { return keyring.Get(keyringService, user) })
}

func kset(ctx context.Context, user, value string) error {
	_, err := call(ctx, fmt.Sprintf("set %q", user), func() (struct{}, error) {
		return struct{}{}, keyring.Set(keyringService, user, value)
	})
	return err
}

func kdelete(ctx context.Context, user string) error {
	_, err := call(ctx, fmt.Sprintf("delete %q", user), func() (struct{}, error) {
		return struct{}{}, keyring.Delete(keyringService, user)
	})
	return err
}

// index reads the list of names; a missing index is an empty one.
func (s *KeyringStore) index(ctx context.Context) ([]string, error) {
	v, err := kget(ctx, keyringIndex)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range strings.Split(v, "\n") {
		if checkName(n) == nil {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func (s *KeyringStore) setIndex(ctx context.Context, names []string) error {
	if len(names) == 0 {
		err := kdelete(ctx, keyringIndex)
		if errors.Is(err, keyring.ErrNotFound) {
			return nil
		}
		return err
	}
	return kset(ctx, keyringIndex, strings.Join(names, "\n"))
}

func (s *KeyringStore) Save(ctx context.Context, id *Identity) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := kget(ctx, id.name)
	if err == nil {
		return fmt.Errorf("wallet: save %q: %w", id.name, ErrExists)
	}
	if !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	names, err := s.index(ctx)
	if err != nil {
		return err
	}
	if err := kset(ctx, id.name, keyringPrefix+base64.StdEncoding.EncodeToString(id.secret[:])); err != nil {
		return err
	}
	if slices.Contains(names, id.name) {
		return nil
	}
	names = append(names, id.name)
	slices.Sort(names)
	return s.setIndex(ctx, names)
}

func (s *KeyringStore) Load(ctx context.Context, name string) (*Identity, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := kget(ctx, name)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, fmt.Errorf("wallet: load %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	enc, ok := strings.CutPrefix(v, keyringPrefix)
	if !ok {
		return nil, fmt.Errorf("wallet: load %q from keyring: %w", name, ErrFormat)
	}
	secret, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(secret) != SecretSize {
		return nil, fmt.Errorf("wallet: load %q from keyring: bad secret encoding: %w", name, ErrCorrupt)
	}
	return newIdentity(name, secret)
}

// List returns the names in the index.
func (s *KeyringStore) List(ctx context.Context) ([]string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.index(ctx)
}

func (s *KeyringStore) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := kdelete(ctx, name)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	missing := err != nil
	// Drop the name from the index even if the entry was already gone.
	names, err := s.index(ctx)
	if err != nil {
		return err
	}
	if i := slices.Index(names, name); i >= 0 {
		if err := s.setIndex(ctx, slices.Delete(names, i, i+1)); err != nil {
			return err
		}
	}
	if missing {
		return fmt.Errorf("wallet: delete %q: %w", name, ErrNotFound)
	}
	return nil
}
