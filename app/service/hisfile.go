package service

import (
	"bytes"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"ebill/app/bill"
)

// Encoding is how ReadBill read the text of a HIS file.
type Encoding int

const (
	// UTF8 is the file as it came.
	UTF8 Encoding = iota
	// UTF8BOM is UTF-8 behind a byte order mark, which ReadBill dropped (Windows Notepad
	// and many HIS exports write one; JSON allows none).
	UTF8BOM
	// GBK is a file in GBK or GB18030, the encoding of Chinese Windows, converted to UTF-8.
	GBK
)

func (e Encoding) String() string {
	switch e {
	case UTF8:
		return "utf-8"
	case UTF8BOM:
		return "utf-8 with a byte order mark"
	case GBK:
		return "read as GBK"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ReadBill reads a bill file as a HIS exports it: UTF-8, UTF-8 behind a byte order mark, or
// GBK (GB18030), and says which. It does not validate; call Validate. A file that is neither
// UTF-8 nor GBK is ErrEncoding, with the offset of the first byte that is neither; a file
// that is not a bill in JSON is a *bill.SyntaxError.
func ReadBill(r io.Reader) (*bill.Bill, Encoding, error) {
	data, err := io.ReadAll(io.LimitReader(r, bill.MaxInput+1))
	if err != nil {
		return nil, UTF8, fmt.Errorf("read bill file: %w", err)
	}
	text, enc, err := utf8Text(data)
	if err != nil {
		return nil, UTF8, err
	}
	b, err := bill.Unmarshal(text)
	return b, enc, err
}

// utf8Text gives data as UTF-8 without a byte order mark. Bytes that are not UTF-8 are read
// as GB18030 (a superset of GBK) only when every character that gives is one a person can
// read: bytes of another encoding mostly fail that, as they seldom make whole GB18030
// characters, and when they do they fall into private-use or unassigned code points.
func utf8Text(data []byte) ([]byte, Encoding, error) {
	if rest, ok := bytes.CutPrefix(data, utf8BOM); ok {
		if bad := badUTF8(rest); bad >= 0 {
			at := bad + len(utf8BOM)
			return nil, UTF8, fmt.Errorf("%w: the file starts with a UTF-8 byte order mark, but byte 0x%02X at offset %d is not UTF-8",
				ErrEncoding, data[at], at)
		}
		return rest, UTF8BOM, nil
	}
	bad := badUTF8(data)
	if bad < 0 {
		return data, UTF8, nil
	}
	text, badGBK := fromGB18030(data)
	if badGBK >= 0 {
		return nil, UTF8, fmt.Errorf("%w: byte 0x%02X at offset %d is not UTF-8, and byte 0x%02X at offset %d starts no GBK character",
			ErrEncoding, data[bad], bad, data[badGBK], badGBK)
	}
	return text, GBK, nil
}

// badUTF8 is the offset of the first byte of data that is not UTF-8, or -1.
func badUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// fromGB18030 converts data to UTF-8, or gives the offset of the first character that does
// not convert to a readable one. The decoder turns a bad byte into U+FFFD without an error,
// so each character goes through it alone, framed as GB18030 frames them: one byte below
// 0x81, four when the second is a digit, two otherwise.
func fromGB18030(data []byte) ([]byte, int) {
	dec := simplifiedchinese.GB18030.NewDecoder()
	out := make([]byte, 0, len(data)+len(data)/2)
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			out = append(out, data[i])
			i++
			continue
		}
		n := 2
		if data[i] == 0x80 || data[i] == 0xFF {
			n = 1
		} else if i+1 < len(data) && '0' <= data[i+1] && data[i+1] <= '9' {
			n = 4
		}
		n = min(n, len(data)-i)
		nDst, _, err := dec.Transform(buf[:], data[i:i+n], true)
		r, size := utf8.DecodeRune(buf[:nDst])
		if err != nil || size != nDst || r == utf8.RuneError || !unicode.IsGraphic(r) {
			return nil, i
		}
		out = append(out, buf[:nDst]...)
		i += n
	}
	return out, -1
}
