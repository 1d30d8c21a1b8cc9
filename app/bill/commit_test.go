package bill_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"ebill/app/bill"
)

// A bill read back from its canonical bytes commits as the bill it was made from, so a
// desk that opens a payload finds the commitment the cashier signed.
func TestCommitSurvivesTheRoundTrip(t *testing.T) {
	for _, name := range []string{"outpatient", "inpatient"} {
		b := example(t, name)
		data, err := b.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := bill.Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		if b.Commit(seed) != back.Commit(seed) {
			t.Errorf("%s: the commitment changes across Marshal and Unmarshal", name)
		}
		other := seed
		other[0] ^= 1
		if b.Commit(seed) == b.Commit(other) {
			t.Errorf("%s: the commitment ignores the seed", name)
		}
	}
}

// The printed disclosure proves the printed fields and hides the rest: the payer's ID is
// there only masked, the creation time not at all, and every hidden field's hash is salted.
func TestDisclosePrinted(t *testing.T) {
	b := example(t, "outpatient")
	c := b.Commit(seed)
	d, err := b.Disclose(seed, bill.Printed...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(c); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	raw, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var back bill.Disclosure
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(c); err != nil {
		t.Errorf("Verify after a JSON round trip: %v", err)
	}
	if bytes.Contains(raw, []byte(b.Payer.ID)) {
		t.Errorf("the disclosure carries the payer's whole ID %q", b.Payer.ID)
	}
	got, err := d.Bill()
	if err != nil {
		t.Fatal(err)
	}
	if got.Payer.ID != bill.MaskID(b.Payer.ID) || !got.CreatedAt.IsZero() {
		t.Errorf("disclosed payer ID %q and creation %v, want %q and nothing", got.Payer.ID, got.CreatedAt, bill.MaskID(b.Payer.ID))
	}
	if got.Total != b.Total || got.Serial != b.Serial || len(got.Items) != len(b.Items) || got.Payer.Name != b.Payer.Name {
		t.Errorf("disclosed bill %+v lost printed fields of %+v", got, b)
	}
}

// Any change to a disclosed value, a salt, a hidden hash or the leaves' order breaks the
// commitment; a malformed leaf is refused before hashing.
func TestDisclosureTampering(t *testing.T) {
	b := example(t, "outpatient")
	c := b.Commit(seed)
	for _, tc := range []struct {
		name   string
		change func(*bill.Disclosure) bool
		err    error
	}{
		{"total", func(d *bill.Disclosure) bool { return setValue(d, "total", `"1.00"`) }, bill.ErrCommitment},
		{"payer name", func(d *bill.Disclosure) bool { return setValue(d, "payer.name", `"张三"`) }, bill.ErrCommitment},
		{"drop a leaf", func(d *bill.Disclosure) bool { d.Leaves = d.Leaves[1:]; return true }, bill.ErrCommitment},
		{"swap leaves", func(d *bill.Disclosure) bool { d.Leaves[0], d.Leaves[1] = d.Leaves[1], d.Leaves[0]; return true }, bill.ErrCommitment},
		{"hidden hash", func(d *bill.Disclosure) bool {
			for i := range d.Leaves {
				if d.Leaves[i].Value == "" {
					d.Leaves[i].Hash[0] ^= 1
					return true
				}
			}
			return false
		}, bill.ErrCommitment},
		{"repeated path", func(d *bill.Disclosure) bool { d.Leaves[1].Path = d.Leaves[0].Path; return true }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := b.Disclose(seed, bill.Printed...)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.change(d) {
				t.Fatal("nothing to change")
			}
			err = d.Verify(c)
			if err == nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("Verify = %v, want %v", err, tc.err)
			}
		})
	}
	if _, err := b.Disclose(seed, "payer.nmae"); err == nil || !strings.Contains(err.Error(), "payer.nmae") {
		t.Errorf("a misspelt field: %v", err)
	}
}

func setValue(d *bill.Disclosure, path, value string) bool {
	for i := range d.Leaves {
		if d.Leaves[i].Path == path && d.Leaves[i].Value != "" {
			d.Leaves[i].Value = value
			return true
		}
	}
	return false
}
