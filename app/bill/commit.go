package bill

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// The payload commitment of protocol v2 is over the bill's fields one by one, so that a
// holder can show some of them and prove only those. Each field is a leaf: the payer's and
// payee's, the medical block's and the payment's fields each on their own, each item whole
// (items[3]), the red link whole, and beside payer.id its printed form payer.id_masked.
// A leaf's hash is SHA-256 over tag, salt, path and the field's JSON value (as Marshal
// writes it, every field present), each length-prefixed; its salt is
// HMAC-SHA256(seed, tag ‖ path). The commitment is SHA-256 over its tag and the leaf hashes
// in field order. A leaf shown without its salt and value proves nothing about them, and
// the salts come from one secret seed sealed with the payload, so a hidden field cannot be
// guessed from its hash (a resident ID has few enough possible values to try them all).

// maskedID is the leaf of the payer's ID as the bill prints it (MaskID).
const maskedID = "payer.id_masked"

// Printed are the leaves a printed e-bill shows, in the form Disclose takes: everything
// but the creation time and the payer's ID, which prints masked. A PDF's attachment
// discloses these and nothing more.
var Printed = []string{"kind", "code", "org", "serial", "payer.name", "payer.type", maskedID, "payee",
	"issuing_point", "items", "medical", "payment", "total", "remark", "cashier", "reviewer", "red"}

type leafValue struct {
	path  string
	value []byte
}

// leaves lists b's fields in order with their JSON values.
func (b *Bill) leaves() ([]leafValue, error) {
	var out []leafValue
	var walk func(prefix string, v reflect.Value) error
	walk = func(prefix string, v reflect.Value) error {
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			path, f := prefix+name, v.Field(i)
			switch {
			case f.Kind() == reflect.Struct && f.Type() != timeType && f.Type() != dateType:
				if err := walk(path+".", f); err != nil {
					return err
				}
				continue
			case f.Kind() == reflect.Slice:
				for j := range f.Len() {
					if err := add(&out, path+"["+strconv.Itoa(j)+"]", f.Index(j).Interface()); err != nil {
						return err
					}
				}
				continue
			}
			if err := add(&out, path, f.Interface()); err != nil {
				return err
			}
			if path == "payer.id" {
				if err := add(&out, maskedID, MaskID(b.Payer.ID)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("", reflect.ValueOf(b).Elem()); err != nil {
		return nil, err
	}
	return out, nil
}

func add(out *[]leafValue, path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("commit to %s: %w", path, err)
	}
	*out = append(*out, leafValue{path, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))})
	return nil
}

func salt(seed [32]byte, path string) []byte {
	m := hmac.New(sha256.New, seed[:])
	m.Write([]byte(tagSalt + path))
	return m.Sum(nil)
}

func leafHash(salt []byte, path string, value []byte) [32]byte {
	return digest(tagLeaf, salt, []byte(path), value)
}

func commitment(hashes [][32]byte) [32]byte {
	fields := make([][]byte, len(hashes))
	for i := range hashes {
		fields[i] = hashes[i][:]
	}
	return digest(tagCommit, fields...)
}

// Commit is the payload commitment of the bill under seed, a random secret that is sealed
// with the payload and never published (wallet.SealBill): what the ledger records and the
// cashier signs. Bills that Marshal to the same bytes commit alike.
func (b *Bill) Commit(seed [32]byte) [32]byte {
	d, err := b.Disclose(seed)
	if err != nil {
		// Every field of a Bill encodes as JSON; only a broken encoder could get here.
		panic("bill: " + err.Error())
	}
	return d.commitment()
}

// Disclosure shows some fields of a committed bill and the leaf hashes of the rest, so that
// a verifier can check the shown fields against the commitment without learning the others.
// It is JSON: {"leaves": [{"path": "kind", "salt": "…", "value": "\"outpatient\""},
// {"path": "payer.id", "hash": "…"}, …]} with salts and hashes in base64 and each shown
// value the field's JSON as a string, so that re-encoding the disclosure never changes
// the bytes hashed. The path of a hidden leaf is a label only: nothing proves it.
type Disclosure struct {
	Leaves []Leaf `json:"leaves"`
}

// Leaf is one field of a Disclosure: shown (Salt and Value) or hidden (Hash only).
type Leaf struct {
	Path  string `json:"path"`
	Salt  []byte `json:"salt,omitempty"`
	Value string `json:"value,omitempty"` // the field's JSON, as text: carried byte for byte
	Hash  []byte `json:"hash,omitempty"`
}

// Disclose shows the leaves named by paths, which may name a group ("items", "payer",
// "medical") for all of its leaves; Printed are those of the printed bill. A path that names
// no leaf is an error, so that a misspelt field is not silently left out.
func (b *Bill) Disclose(seed [32]byte, paths ...string) (*Disclosure, error) {
	lvs, err := b.leaves()
	if err != nil {
		return nil, err
	}
	used := make([]bool, len(paths))
	d := &Disclosure{Leaves: make([]Leaf, len(lvs))}
	for i, lv := range lvs {
		s := salt(seed, lv.path)
		d.Leaves[i] = Leaf{Path: lv.path, Hash: hashSlice(leafHash(s, lv.path, lv.value))}
		for j, p := range paths {
			if lv.path == p || strings.HasPrefix(lv.path, p+".") || strings.HasPrefix(lv.path, p+"[") {
				d.Leaves[i] = Leaf{Path: lv.path, Salt: s, Value: string(lv.value)}
				used[j] = true
			}
		}
	}
	for j, p := range paths {
		// A group with no leaves (no items, no red link) is still a group the bill has.
		if !used[j] && p != "items" && p != "red" {
			return nil, fmt.Errorf("disclose %q: the bill has no such field", p)
		}
	}
	return d, nil
}

func hashSlice(h [32]byte) []byte { return h[:] }

// commitment recomputes the commitment from the leaves, which Verify checked.
func (d *Disclosure) commitment() [32]byte {
	hashes := make([][32]byte, len(d.Leaves))
	for i, l := range d.Leaves {
		if l.Value != "" {
			hashes[i] = leafHash(l.Salt, l.Path, []byte(l.Value))
		} else {
			copy(hashes[i][:], l.Hash)
		}
	}
	return commitment(hashes)
}

// Verify checks that the disclosure is of a bill with this commitment: every shown field
// hashes with its salt and path into a leaf, and the leaves make the commitment.
func (d *Disclosure) Verify(c [32]byte) error {
	seen := make(map[string]bool, len(d.Leaves))
	for i, l := range d.Leaves {
		switch {
		case seen[l.Path]:
			return fmt.Errorf("disclosure: leaf %d: path %q repeated", i, l.Path)
		case l.Value != "" && (len(l.Salt) != sha256.Size || l.Hash != nil):
			return fmt.Errorf("disclosure: leaf %d (%s): a shown field needs a %d-byte salt and no hash", i, l.Path, sha256.Size)
		case l.Value == "" && (len(l.Hash) != sha256.Size || l.Salt != nil):
			return fmt.Errorf("disclosure: leaf %d (%s): a hidden field needs a %d-byte hash and no salt", i, l.Path, sha256.Size)
		}
		seen[l.Path] = true
	}
	if got := d.commitment(); got != c {
		return fmt.Errorf("disclosure: %w: the fields make %x, the commitment is %x", ErrCommitment, got, c)
	}
	return nil
}

// Bill gives the shown fields as a bill, the hidden ones left zero; a shown payer.id_masked
// stands in Payer.ID. Check the disclosure with Verify first: Bill only decodes.
func (d *Disclosure) Bill() (*Bill, error) {
	top := map[string]json.RawMessage{}
	groups := map[string]map[string]json.RawMessage{}
	var items []json.RawMessage
	for _, l := range d.Leaves {
		if l.Value == "" {
			continue
		}
		path := l.Path
		if path == maskedID {
			path = "payer.id"
		}
		group, name, nested := strings.Cut(path, ".")
		switch {
		case strings.HasPrefix(path, "items["):
			items = append(items, json.RawMessage(l.Value))
		case nested:
			if groups[group] == nil {
				groups[group] = map[string]json.RawMessage{}
			}
			groups[group][name] = json.RawMessage(l.Value)
		default:
			top[path] = json.RawMessage(l.Value)
		}
	}
	for g, fields := range groups {
		raw, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("disclosed %s: %w", g, err)
		}
		top[g] = raw
	}
	if items != nil {
		raw, err := json.Marshal(items)
		if err != nil {
			return nil, fmt.Errorf("disclosed items: %w", err)
		}
		top["items"] = raw
	}
	raw, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("disclosed bill: %w", err)
	}
	b, err := Unmarshal(raw)
	if err != nil {
		return nil, fmt.Errorf("disclosed bill: %w", err)
	}
	return b, nil
}
