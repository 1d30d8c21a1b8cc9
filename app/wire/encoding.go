package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// ErrMalformed is wrapped by every decoding error: the bytes are not a canonical encoding.
var ErrMalformed = errors.New("malformed encoding")

// The wire and store format is deliberately tiny: unsigned varints (minimal form only),
// zig-zag signed varints, length-prefixed byte strings and fixed-size arrays, in a fixed
// field order. One value has exactly one encoding, so signatures, tx hashes and the app hash
// cannot disagree across nodes or be malleated.

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) byte(v byte)   { e.b = append(e.b, v) }
func (e *encoder) fixed(p []byte) {
	e.b = append(e.b, p...)
}
func (e *encoder) bytes(p []byte) {
	e.uint(uint64(len(p)))
	e.b = append(e.b, p...)
}
func (e *encoder) string(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// decoder reads what encoder wrote. The first error sticks and later reads return zero
// values, so decode functions read every field and check err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	if n != uvarintLen(v) {
		d.fail("non-minimal varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	u := d.uint()
	// Zig-zag, as binary.AppendVarint writes it; decoding through uint keeps the minimality check.
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) byte() byte {
	p := d.fixed(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *decoder) fixed(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.fail("truncated: want %d bytes, have %d", n, len(d.b))
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// bytes returns a length-prefixed field of at most max bytes. The result aliases the input.
func (d *decoder) bytes(max int) []byte {
	n := d.uint()
	if d.err != nil {
		return nil
	}
	if n > uint64(max) {
		d.fail("field of %d bytes exceeds %d", n, max)
		return nil
	}
	return d.fixed(int(n))
}

func (d *decoder) string(max int) string { return string(d.bytes(max)) }

func (d *decoder) array32() (a [32]byte) {
	copy(a[:], d.fixed(32))
	return a
}

// count reads a list length and bounds it by what the remaining bytes could possibly hold,
// so a forged length cannot make the decoder allocate.
func (d *decoder) count(max int) int {
	n := d.uint()
	if d.err == nil && (n > uint64(max) || n > uint64(len(d.b))) {
		d.fail("list of %d entries exceeds limit", n)
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

// end reports trailing bytes as malformed and returns the sticky error.
func (d *decoder) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}

func uvarintLen(v uint64) int {
	return (bits.Len64(v|1) + 6) / 7
}
