package wallet

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzImport feeds the key store file and backup reader damaged and hostile files: it must
// never panic, refuse only with ErrFormat, ErrCorrupt or ErrWrongPassphrase, and what it
// accepts must round-trip. The scrypt cost byte
// is bounded by the format, so a hostile file cannot make one input take minutes.
func FuzzImport(f *testing.F) {
	id, err := NewIdentity("fuzz-seed")
	if err != nil {
		f.Fatal(err)
	}
	var good bytes.Buffer
	if err := Export(&good, id, []byte("pass")); err != nil {
		f.Fatal(err)
	}
	g := good.Bytes()
	f.Add(g, []byte("pass"))
	f.Add(g, []byte("wrong"))
	f.Add(g[:len(g)-1], []byte("pass"))
	f.Add([]byte(fileMagic), []byte("pass"))
	f.Add([]byte("ebill-id\x02"), []byte("pass"))
	f.Add([]byte{}, []byte{})
	hostile := bytes.Clone(g)
	hostile[len(fileMagic)] = 60 // scrypt cost 2^60
	f.Add(hostile, []byte("pass"))
	f.Fuzz(func(t *testing.T, data, pass []byte) {
		// Only inputs that pass the cheap header checks reach scrypt; those at the least
		// cost stay under a tenth of a second each.
		// Copies: Import may wipe the passphrase it was given.
		got, err := Import(bytes.NewReader(bytes.Clone(data)), bytes.Clone(pass))
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("refusal of unknown kind: %v", err)
			}
			return
		}
		// Workers of the fuzzer make their own seed identity, so the accepted file cannot be
		// compared with this process's one: check that it is a whole file that round-trips.
		if !bytes.HasPrefix(data, []byte(fileMagic)) {
			t.Fatalf("accepted a file without the magic: %q", data)
		}
		var again bytes.Buffer
		if err := Export(&again, got, []byte("x")); err != nil {
			t.Fatal(err)
		}
		back, err := Import(&again, []byte("x"))
		if err != nil || !bytes.Equal(back.Public().SignKey, got.Public().SignKey) {
			t.Fatalf("accepted identity does not round-trip: %v", err)
		}
	})
}
