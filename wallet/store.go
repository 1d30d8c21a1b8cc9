package wallet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Errors that callers branch on. Returned errors wrap them with context.
var (
	ErrNotFound           = errors.New("identity not found")
	ErrExists             = errors.New("identity already exists")
	ErrKeyringUnavailable = errors.New("keyring unavailable")
	ErrWrongPassphrase    = errors.New("wrong passphrase")
	ErrCorrupt            = errors.New("data is truncated or altered")
	ErrFormat             = errors.New("not an ebill wallet format, or an unknown version")
)

// Store keeps identities by name. Save never overwrites: it returns [ErrExists].
type Store interface {
	Save(ctx context.Context, id *Identity) error
	Load(ctx context.Context, name string) (*Identity, error)
	List(ctx context.Context) ([]string, error) // sorted
	Delete(ctx context.Context, name string) error
}

// checkName keeps names usable as keyring entries and file names on every desktop OS.
func checkName(name string) error {
	if name == "" || len(name) > 64 || !utf8.ValidString(name) || name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("wallet: invalid identity name %q: want 1 to 64 bytes, not starting with . or -", name)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' && r != '@' {
			return fmt.Errorf("wallet: invalid identity name %q: %q is not a letter, digit or one of . _ - @", name, r)
		}
	}
	return nil
}

// MemoryStore is a [Store] in memory, for tests.
type MemoryStore struct {
	mu  sync.Mutex
	ids map[string]*Identity
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{ids: map[string]*Identity{}} }

// Save stores id; an Identity is immutable, so it is kept as is.
func (m *MemoryStore) Save(_ context.Context, id *Identity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.ids[id.name]; ok {
		return fmt.Errorf("wallet: save %q: %w", id.name, ErrExists)
	}
	m.ids[id.name] = id
	return nil
}

func (m *MemoryStore) Load(_ context.Context, name string) (*Identity, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.ids[name]
	if !ok {
		return nil, fmt.Errorf("wallet: load %q: %w", name, ErrNotFound)
	}
	return id, nil
}

func (m *MemoryStore) List(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.ids))
	for n := range m.ids {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

func (m *MemoryStore) Delete(_ context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.ids[name]; !ok {
		return fmt.Errorf("wallet: delete %q: %w", name, ErrNotFound)
	}
	delete(m.ids, name)
	return nil
}
