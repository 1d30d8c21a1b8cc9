package bill

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxInput bounds the JSON a bill is read from: 999 items with long remarks take about 1 MB.
const MaxInput = 4 << 20

// ErrSyntax is wrapped by every error of Decode and Unmarshal: the input is not a bill in
// JSON, as opposed to a bill that breaks the rules (Problems from Validate).
var ErrSyntax = errors.New("malformed bill json")

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
	d := decoder{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	d.dec.UseNumber()
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
		return fmt.Errorf("encode bill %s: %w", b.Serial, err)
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
		return nil, fmt.Errorf("marshal bill %s: %w", b.Serial, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decoder walks the JSON tokens itself rather than using json.Unmarshal, which matches
// names case-insensitively, keeps the last of repeated fields and gives no position for
// unknown fields or for the errors of Money and Date.
type decoder struct {
	data []byte
	dec  *json.Decoder
	path []any // field names and item indexes down to the value being read
}

var (
	moneyType    = reflect.TypeFor[Money]()
	quantityType = reflect.TypeFor[Quantity]()
	dateType     = reflect.TypeFor[Date]()
	timeType     = reflect.TypeFor[time.Time]()
)

func (d *decoder) top(v reflect.Value) error {
	start := d.next()
	tok, err := d.dec.Token()
	if err != nil {
		return d.tokenError(err)
	}
	if tok != json.Delim('{') {
		return d.errorAt(start, fmt.Errorf("want a JSON object, got %s", describe(tok)))
	}
	if err := d.object(v); err != nil {
		return err
	}
	end := d.next()
	if _, err := d.dec.Token(); err != io.EOF {
		return d.errorAt(end, errors.New("unexpected data after the bill"))
	}
	return nil
}

func (d *decoder) value(v reflect.Value) error {
	start := d.next()
	tok, err := d.dec.Token()
	if err != nil {
		return d.tokenError(err)
	}
	if tok == nil {
		v.SetZero()
		return nil
	}
	fail := func(err error) error { return d.errorAt(start, err) }
	want := func(what string) error {
		return fail(fmt.Errorf("want %s, got %s", what, describe(tok)))
	}
	switch t := v.Type(); {
	case t == moneyType || t == quantityType:
		s, ok := tok.(string)
		if n, isNum := tok.(json.Number); isNum {
			s, ok = string(n), true
		}
		if !ok {
			return want("a string or number")
		}
		parse := func(s string) (int64, error) { m, err := ParseMoney(s); return int64(m), err }
		if t == quantityType {
			parse = func(s string) (int64, error) { q, err := ParseQuantity(s); return int64(q), err }
		}
		n, err := parse(s)
		if err != nil {
			return fail(err)
		}
		v.SetInt(n)
	case t == dateType:
		s, ok := tok.(string)
		if !ok {
			return want(`a date string like "2026-11-23"`)
		}
		if s == "" {
			v.SetZero()
			return nil
		}
		day, err := ParseDate(s)
		if err != nil {
			return fail(err)
		}
		v.Set(reflect.ValueOf(day))
	case t == timeType:
		s, ok := tok.(string)
		if !ok {
			return want(`a time string like "2026-11-23T09:30:00+08:00"`)
		}
		var tm time.Time
		if err := tm.UnmarshalText([]byte(s)); err != nil {
			return fail(fmt.Errorf("invalid time %q: want RFC 3339, like 2026-11-23T09:30:00+08:00", s))
		}
		v.Set(reflect.ValueOf(tm))
	case t.Kind() == reflect.String:
		s, ok := tok.(string)
		if !ok {
			return want("a string")
		}
		v.SetString(s)
	case t.Kind() == reflect.Struct:
		if tok != json.Delim('{') {
			return want("an object")
		}
		return d.object(v)
	case t.Kind() == reflect.Slice:
		if tok != json.Delim('[') {
			return want("an array")
		}
		return d.array(v)
	case t.Kind() == reflect.Pointer:
		if tok != json.Delim('{') {
			return want("an object or null")
		}
		v.Set(reflect.New(t.Elem()))
		return d.object(v.Elem())
	default:
		panic("bill: no JSON decoding for " + t.String())
	}
	return nil
}

func (d *decoder) object(v reflect.Value) error {
	fields := fieldsOf(v.Type())
	seen := make([]bool, v.NumField())
	for d.dec.More() {
		start := d.next()
		tok, err := d.dec.Token()
		if err != nil {
			return d.tokenError(err)
		}
		key := tok.(string) // inside an object the decoder yields only string keys
		i, known := fields.index[key]
		switch {
		case !known:
			return d.errorAt(start, fmt.Errorf("unknown field %q (known: %s)", key, fields.names))
		case seen[i]:
			return d.errorAt(start, fmt.Errorf("repeated field %q", key))
		}
		seen[i] = true
		d.path = append(d.path, key)
		if err := d.value(v.Field(i)); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
	}
	return d.closing()
}

func (d *decoder) array(v reflect.Value) error {
	v.SetLen(0)
	for i := 0; d.dec.More(); i++ {
		d.path = append(d.path, i)
		v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
		if err := d.value(v.Index(i)); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
	}
	return d.closing()
}

func (d *decoder) closing() error {
	if _, err := d.dec.Token(); err != nil {
		return d.tokenError(err)
	}
	return nil
}

// next is the offset of the next token: past the white space and the , or : before it.
func (d *decoder) next() int {
	off := int(d.dec.InputOffset())
	for off < len(d.data) && strings.IndexByte(" \t\r\n,:", d.data[off]) >= 0 {
		off++
	}
	return off
}

func (d *decoder) tokenError(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		// The Decoder counts some offsets from the start of the current token; a scan of
		// the whole input counts from its start, up to and including the bad byte.
		var whole *json.SyntaxError
		if errors.As(json.Unmarshal(d.data, new(json.RawMessage)), &whole) {
			syn = whole
		}
		return d.errorAt(min(max(int(syn.Offset)-1, 0), len(d.data)), errors.New(syn.Error()))
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return d.errorAt(len(d.data), errors.New("unexpected end of input"))
	}
	return d.errorAt(d.next(), err)
}

func (d *decoder) errorAt(off int, err error) error {
	return syntaxAt(d.data, off, d.pathString(), err)
}

func syntaxAt(data []byte, off int, path string, err error) *SyntaxError {
	before := data[:off]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return &SyntaxError{
		Line: bytes.Count(before, []byte("\n")) + 1,
		Col:  utf8.RuneCount(before[lineStart:]) + 1,
		Path: path,
		Err:  err,
	}
}

func (d *decoder) pathString() string {
	var b strings.Builder
	for _, p := range d.path {
		switch p := p.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "]")
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

func describe(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		return map[json.Delim]string{'{': "an object", '[': "an array"}[tok]
	case string:
		return fmt.Sprintf("the string %q", tok)
	case json.Number:
		return "the number " + string(tok)
	case bool:
		return strconv.FormatBool(tok)
	}
	return fmt.Sprint(tok)
}

type structFields struct {
	index map[string]int // JSON name → field index
	names string         // for the unknown-field message
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{index: make(map[string]int)}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f.index[name] = i
		names = append(names, name)
	}
	f.names = strings.Join(names, ", ")
	fieldCache.Store(t, f)
	return f
}
