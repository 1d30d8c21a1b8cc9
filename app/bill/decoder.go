package bill

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// decoder reads the bill's JSON itself rather than through json.Unmarshal, which matches
// names case-insensitively, keeps the last of repeated fields, and gives no position for
// unknown fields or for the errors of Money and Date. Every field is known and typed, so
// it never has to skip a value it does not understand.
type decoder struct {
	data []byte
	off  int
	path []any // field names and item indexes down to the value being read
}

var (
	dateType = reflect.TypeFor[Date]()
	timeType = reflect.TypeFor[time.Time]()
	// issuedType's own fields are what the ledger assigns: a HIS file that carried them
	// would have them committed and signed as if the hospital chose them.
	issuedType = reflect.TypeFor[Issued]()
)

// fixedPoint parses the types written as a JSON string or number.
var fixedPoint = map[reflect.Type]func(string) (int64, error){
	reflect.TypeFor[Money]():    asInt64(ParseMoney),
	reflect.TypeFor[Quantity](): asInt64(ParseQuantity),
}

func asInt64[T ~int64](parse func(string) (T, error)) func(string) (int64, error) {
	return func(s string) (int64, error) {
		v, err := parse(s)
		return int64(v), err
	}
}

func (d *decoder) top(v reflect.Value) error {
	if d.space(); d.peek() != '{' {
		return d.mismatch("a JSON object")
	}
	if err := d.value(v); err != nil {
		return err
	}
	if d.space(); d.off < len(d.data) {
		return d.errorAt(d.off, errors.New("unexpected data after the bill"))
	}
	return nil
}

func (d *decoder) value(v reflect.Value) error {
	d.space()
	start, c := d.off, d.peek()
	if c == 'n' {
		if err := d.literal("null"); err != nil {
			return err
		}
		v.SetZero()
		return nil
	}
	switch t := v.Type(); {
	case fixedPoint[t] != nil:
		var s []byte
		var err error
		switch {
		case c == '"':
			s, err = d.str()
		case c == '-' || '0' <= c && c <= '9':
			s, err = d.number()
		default:
			return d.mismatch("a string or number")
		}
		if err != nil {
			return err
		}
		n, err := fixedPoint[t](string(s))
		if err != nil {
			return d.errorAt(start, err)
		}
		v.SetInt(n)
	case t == dateType:
		s, err := d.wantString(c, `a date string like "2026-11-23"`)
		if err != nil || len(s) == 0 {
			return err
		}
		day, err := ParseDate(string(s))
		if err != nil {
			return d.errorAt(start, err)
		}
		v.Set(reflect.ValueOf(day))
	case t == timeType:
		s, err := d.wantString(c, `a time string like "2026-11-23T09:30:00+08:00"`)
		if err != nil {
			return err
		}
		var tm time.Time
		if tm.UnmarshalText(s) != nil {
			return d.errorAt(start, fmt.Errorf("invalid time %q: want RFC 3339, like 2026-11-23T09:30:00+08:00", s))
		}
		v.Set(reflect.ValueOf(tm))
	case t.Kind() == reflect.String:
		s, err := d.wantString(c, "a string")
		if err != nil {
			return err
		}
		v.SetString(string(s))
	case t.Kind() == reflect.Struct:
		if c != '{' {
			return d.mismatch("an object")
		}
		return d.object(v)
	case t.Kind() == reflect.Slice:
		if c != '[' {
			return d.mismatch("an array")
		}
		return d.array(v)
	case t.Kind() == reflect.Pointer:
		if c != '{' {
			return d.mismatch("an object or null")
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
	var seen [32]bool // no struct of the bill has more fields
	d.off++           // {
	if d.space(); d.peek() == '}' {
		d.off++
		return nil
	}
	for {
		d.space()
		start := d.off
		if d.peek() != '"' {
			return d.unexpected("looking for beginning of object key string")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		i, known := fields.index[string(key)]
		switch {
		case !known && len(d.path) == 0 && slices.Contains(fieldsOf(issuedType).name, any(string(key))):
			return d.errorAt(start, fmt.Errorf("field %q is assigned by the ledger at issue; a bill to submit must not carry it", key))
		case !known:
			return d.errorAt(start, fmt.Errorf("unknown field %q (known: %s)", key, fields.names))
		case seen[i]:
			return d.errorAt(start, fmt.Errorf("repeated field %q", key))
		}
		seen[i] = true
		if d.space(); d.peek() != ':' {
			return d.unexpected("after object key")
		}
		d.off++
		d.path = append(d.path, fields.name[i])
		if err := d.value(v.Field(i)); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
		if done, err := d.separator('}', "after object key:value pair"); done || err != nil {
			return err
		}
	}
}

func (d *decoder) array(v reflect.Value) error {
	v.SetLen(0)
	d.off++ // [
	if d.space(); d.peek() == ']' {
		d.off++
		return nil
	}
	for i := 0; ; i++ {
		d.path = append(d.path, i)
		v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
		if err := d.value(v.Index(i)); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
		if done, err := d.separator(']', "after array element"); done || err != nil {
			return err
		}
	}
}

// separator reads the , between members, or the closing bracket that ends them.
func (d *decoder) separator(closing byte, context string) (done bool, err error) {
	d.space()
	switch d.peek() {
	case ',':
		d.off++
		return false, nil
	case closing:
		d.off++
		return true, nil
	}
	return false, d.unexpected(context)
}

func (d *decoder) wantString(c byte, what string) ([]byte, error) {
	if c != '"' {
		return nil, d.mismatch(what)
	}
	return d.str()
}

// str reads a string. Most hold no escapes and valid UTF-8 and are returned in place;
// the rest are left to encoding/json, which also turns bad UTF-8 into U+FFFD.
func (d *decoder) str() ([]byte, error) {
	start, plain := d.off, true
	for i := start + 1; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			d.off = i + 1
			raw := d.data[start+1 : i]
			if plain && utf8.Valid(raw) {
				return raw, nil
			}
			var s string
			if err := json.Unmarshal(d.data[start:i+1], &s); err != nil {
				var syn *json.SyntaxError
				if errors.As(err, &syn) {
					return nil, d.errorAt(start+int(syn.Offset)-1, errors.New(syn.Error()))
				}
				return nil, d.errorAt(start, err)
			}
			return []byte(s), nil
		case c < ' ':
			d.off = i
			return nil, d.unexpected("in string literal")
		case c == '\\':
			plain = false
			i++ // the escaped byte cannot end the string
		}
	}
	d.off = len(d.data)
	return nil, d.unexpected("")
}

// number reads a JSON number literal and gives its text.
func (d *decoder) number() ([]byte, error) {
	start := d.off
	d.accept('-')
	if !d.accept('0') {
		if !d.digits() {
			return nil, d.unexpected("in numeric literal")
		}
	}
	if d.accept('.') && !d.digits() {
		return nil, d.unexpected("after decimal point in numeric literal")
	}
	if d.accept('e') || d.accept('E') {
		if !d.accept('+') {
			d.accept('-')
		}
		if !d.digits() {
			return nil, d.unexpected("in exponent of numeric literal")
		}
	}
	return d.data[start:d.off], nil
}

func (d *decoder) digits() bool {
	start := d.off
	for d.off < len(d.data) && '0' <= d.data[d.off] && d.data[d.off] <= '9' {
		d.off++
	}
	return d.off > start
}

func (d *decoder) accept(c byte) bool {
	if d.peek() == c && d.off < len(d.data) {
		d.off++
		return true
	}
	return false
}

func (d *decoder) literal(word string) error {
	for i := range len(word) {
		if !d.accept(word[i]) {
			return d.unexpected("in literal " + word)
		}
	}
	return nil
}

func (d *decoder) space() {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\r', '\n':
			d.off++
		default:
			return
		}
	}
}

// peek is the next byte, or 0 at the end (a 0 inside JSON is a syntax error anyway).
func (d *decoder) peek() byte {
	if d.off < len(d.data) {
		return d.data[d.off]
	}
	return 0
}

// mismatch reports a well-formed value of the wrong type, naming what it is.
func (d *decoder) mismatch(want string) error {
	start := d.off
	var got string
	switch c := d.peek(); {
	case c == '{':
		got = "an object"
	case c == '[':
		got = "an array"
	case c == '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		got = fmt.Sprintf("the string %q", s)
	case c == '-' || '0' <= c && c <= '9':
		n, err := d.number()
		if err != nil {
			return err
		}
		got = "the number " + string(n)
	default:
		for _, word := range []string{"true", "false", "null"} {
			if c == word[0] {
				if err := d.literal(word); err != nil {
					return err
				}
				got = word
			}
		}
		if got == "" {
			return d.unexpected("looking for beginning of value")
		}
	}
	return d.errorAt(start, fmt.Errorf("want %s, got %s", want, got))
}

// unexpected reports the byte at the current offset, in the words of encoding/json.
func (d *decoder) unexpected(context string) error {
	if d.off >= len(d.data) {
		return d.errorAt(len(d.data), errors.New("unexpected end of input"))
	}
	r, _ := utf8.DecodeRune(d.data[d.off:])
	return d.errorAt(d.off, fmt.Errorf("invalid character %s %s", strconv.QuoteRune(r), context))
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

type structFields struct {
	index map[string]int // JSON name → field index
	name  []any          // field index → JSON name, ready for decoder.path
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
		f.name = append(f.name, name)
		names = append(names, name)
	}
	f.names = strings.Join(names, ", ")
	fieldCache.Store(t, f)
	return f
}
