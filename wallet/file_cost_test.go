package wallet

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A crafted key store file or backup names its own scrypt cost. Import must refuse a cost
// above the cap before running scrypt: at 2^22 one unlock took 4 GiB of memory.
func TestImportCostCap(t *testing.T) {
	if mem := 128 * 8 << fileMaxLogN; mem > 256<<20 {
		t.Errorf("the cap 2^%d lets a file demand %d MiB of memory, want at most 256 MiB", fileMaxLogN, mem>>20)
	}
	id, err := NewIdentity("clerk")
	if err != nil {
		t.Fatal(err)
	}
	pass := []byte("pass")
	var good bytes.Buffer
	if err := Export(&good, id, pass); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		logN byte
		want []string // in the error, besides ErrCorrupt
	}{
		{"2^19", 19, []string{"2^19", "512 MiB", "cap 2^18", "256 MiB"}},
		{"2^22", 22, []string{"2^22", "4 GiB", "cap 2^18"}},
		{"2^60", 60, []string{"2^60", "2^70 bytes", "cap 2^18"}},
		{"2^14", 14, []string{"2^14", "below", "2^15"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(good.Bytes())
			b[len(fileMagic)] = tc.logN
			_, err := Import(bytes.NewReader(b), pass)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Import = %v, want ErrCorrupt", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
