package bill

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// MaxInput bounds the JSON a bill is read from: 999 items with long remarks take about 1 MB.
const MaxInput = 4 << 20

var (
	// ErrSyntax is wrapped by every error of Decode and Unmarshal: the input is not a bill
	// in JSON, as opposed to a bill that breaks the rules (Problems from Validate).
	ErrSyntax = errors.New("malformed bill json")
	// ErrCommitment: a disclosure (or payload) does not make the commitment it should.
	ErrCommitment = errors.New("does not match the commitment")
)

// SyntaxError says where the input went wrong: Line and Col count from 1, Col in characters;
// Path names the field, like items[2].price, when the input got that far.
type SyntaxError struct {
	Line, Col int
	Path      string
	Err       error
}

func (e *SyntaxError) Error() string {
	at := ""
	if e.Path != "" {
		at = e.Path + ": "
	}
	return fmt.Sprintf("bill json line %d, column %d: %s%v", e.Line, e.Col, at, e.Err)
}

// Unwrap gives ErrSyntax and the cause.
func (e *SyntaxError) Unwrap() []error { return []error{ErrSyntax, e.Err} }

// Decode reads one bill in the JSON of docs/bill-json.md. It is strict: an unknown or
// repeated field, a field name in the wrong case, an amount with three decimals or anything
// after the bill is a *SyntaxError. Null stands for an absent field. Decode does not
// validate; call Validate.
func Decode(r io.Reader) (*Bill, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read bill json: %w", err)
	}
	return Unmarshal(data)
}

// Unmarshal is Decode for bytes in hand, such as those of Marshal after decryption.
func Unmarshal(data []byte) (*Bill, error) {
	if len(data) > MaxInput {
		return nil, syntaxAt(data, MaxInput, "", fmt.Errorf("input larger than %d bytes", MaxInput))
	}
	d := decoder{data: data}
	b := new(Bill)
	if err := d.top(reflect.ValueOf(b).Elem()); err != nil {
		return nil, err
	}
	return b, nil
}

// Encode writes the bill as indented JSON with the fields in a fixed order, the form of the
// example files; Decode reads it back to an equal bill.
func (b *Bill) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("encode bill %q: %w", b.Serial, err)
	}
	return nil
}

// Marshal gives the canonical bytes of the bill: compact JSON, fields in a fixed order. These
// are the bytes that get encrypted and committed to; Unmarshal reads them back.
func (b *Bill) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("marshal bill %q: %w", b.Serial, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
