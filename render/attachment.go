package render

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
)

// Errors of ReadAttachment a caller may tell apart; it also reports damaged and unsupported
// files, with what it found where.
var (
	ErrNotPDF       = errors.New("not a PDF")
	ErrNoAttachment = errors.New("no " + AttachmentName + " attachment")
)

// The reader's bounds, far above any bill's PDF (its fonts are subset) and proof bundle, so
// that they refuse only what Render did not make.
const (
	maxPDF        = 64 << 20
	maxAttachment = 16 << 20
	maxDepth      = 32      // nesting of arrays and dictionaries, and of the name tree
	maxXrefs      = 16      // cross-reference sections: the file and its incremental updates
	maxObjects    = 1 << 20 // object numbers
	maxNames      = 4096    // entries of the EmbeddedFiles name tree
)

// ReadAttachment returns the file named AttachmentName that a PDF made by Render embeds,
// reading at most 64 MiB of PDF. It reads what Render writes and no more: the classic
// cross-reference table (with incremental updates after it), the document's EmbeddedFiles
// name tree, the file specification named ebill.json and its stream, plain or FlateDecode,
// checked against the size and MD5 its parameters give. Anything else — a cross-reference
// stream, encryption, another filter, two files of that name — is refused, not guessed at.
func ReadAttachment(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPDF+1))
	if err != nil {
		return nil, fmt.Errorf("read PDF: %w", err)
	}
	if len(data) > maxPDF {
		return nil, fmt.Errorf("PDF larger than %d MiB", maxPDF>>20)
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: no %%PDF- header", ErrNotPDF)
	}
	f := &pdfFile{data: data, xref: map[int]xrefEntry{}, busy: map[int]bool{}}
	if err := f.readXref(); err != nil {
		return nil, err
	}
	spec, err := f.fileSpec()
	if err != nil {
		return nil, err
	}
	return f.contents(spec)
}

// The PDF objects the reader uses; numbers are int64 or float64, strings []byte, null nil.
type (
	pdfName   string
	pdfDict   map[pdfName]any
	pdfRef    struct{ num, gen int }
	pdfStream struct {
		dict pdfDict
		data []byte
	}
)

type xrefEntry struct {
	off  int
	gen  int
	free bool
}

type pdfFile struct {
	data    []byte
	xref    map[int]xrefEntry
	trailer pdfDict      // the newest
	busy    map[int]bool // objects being read: a /Length that refers back to its stream
}

func damaged(format string, args ...any) error {
	return fmt.Errorf("damaged PDF: %s", fmt.Sprintf(format, args...))
}

// readXref reads the cross-reference sections from the last startxref back through /Prev;
// an object's newest entry wins, as in a reader that shows the updated file.
func (f *pdfFile) readXref() error {
	tail := f.data[max(0, len(f.data)-1024):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return fmt.Errorf("%w: no startxref at the end", ErrNotPDF)
	}
	l := &lexer{data: tail, pos: i + len("startxref")}
	off, err := l.integer()
	if err != nil {
		return fmt.Errorf("%w: startxref: %v", ErrNotPDF, err)
	}
	seen := map[int]bool{}
	for {
		if seen[off] || len(seen) == maxXrefs {
			return damaged("cross-reference sections loop or exceed %d", maxXrefs)
		}
		seen[off] = true
		trailer, err := f.xrefSection(off)
		if err != nil {
			return err
		}
		if f.trailer == nil {
			f.trailer = trailer
		}
		prev, ok := trailer["Prev"]
		if !ok {
			return nil
		}
		p, ok := prev.(int64)
		if !ok || p < 0 || p >= int64(len(f.data)) {
			return damaged("trailer /Prev %v", prev)
		}
		off = int(p)
	}
}

// xrefSection reads the table at off and returns its trailer.
func (f *pdfFile) xrefSection(off int) (pdfDict, error) {
	if off < 0 || off >= len(f.data) {
		return nil, damaged("startxref %d is outside the file", off)
	}
	l := &lexer{data: f.data, pos: off}
	if kw := l.keyword(); kw != "xref" {
		if _, err := strconv.Atoi(kw); err == nil {
			return nil, errors.New("unsupported PDF: a cross-reference stream (was the file rewritten by another program?)")
		}
		return nil, damaged("no cross-reference table at offset %d", off)
	}
	for {
		save := l.pos
		if l.keyword() == "trailer" {
			break
		}
		l.pos = save
		first, err := l.integer()
		if err != nil {
			return nil, damaged("cross-reference table at %d: %v", off, err)
		}
		count, err := l.integer()
		if err != nil {
			return nil, damaged("cross-reference table at %d: %v", off, err)
		}
		if first < 0 || count < 0 || first+count > maxObjects {
			return nil, damaged("cross-reference subsection %d %d", first, count)
		}
		for num := first; num < first+count; num++ {
			o, err1 := l.integer()
			g, err2 := l.integer()
			kind := l.keyword()
			if err := errors.Join(err1, err2); err != nil || (kind != "n" && kind != "f") {
				return nil, damaged("cross-reference entry of object %d", num)
			}
			if _, newer := f.xref[num]; !newer {
				f.xref[num] = xrefEntry{off: o, gen: g, free: kind == "f"}
			}
		}
	}
	v, err := l.value(0)
	if err != nil {
		return nil, damaged("trailer: %v", err)
	}
	trailer, ok := v.(pdfDict)
	if !ok {
		return nil, damaged("the trailer is not a dictionary")
	}
	if _, ok := trailer["Encrypt"]; ok {
		return nil, errors.New("unsupported PDF: encrypted")
	}
	return trailer, nil
}

// object reads object num from where the table says it is.
func (f *pdfFile) object(r pdfRef) (any, error) {
	e, ok := f.xref[r.num]
	if !ok || e.free || e.gen != r.gen {
		return nil, damaged("object %d %d is not in the cross-reference table", r.num, r.gen)
	}
	if f.busy[r.num] {
		return nil, damaged("object %d refers to itself", r.num)
	}
	f.busy[r.num] = true
	defer delete(f.busy, r.num)
	if e.off < 0 || e.off >= len(f.data) {
		return nil, damaged("object %d: offset %d is outside the file", r.num, e.off)
	}
	bad := func(format string, args ...any) (any, error) {
		return nil, damaged("object %d at offset %d: %s", r.num, e.off, fmt.Sprintf(format, args...))
	}
	l := &lexer{data: f.data, pos: e.off}
	num, err1 := l.integer()
	gen, err2 := l.integer()
	if errors.Join(err1, err2) != nil || num != r.num || gen != r.gen || l.keyword() != "obj" {
		return bad("no %d %d obj there", r.num, r.gen)
	}
	v, err := l.value(0)
	if err != nil {
		return bad("%v", err)
	}
	switch l.keyword() {
	case "endobj":
		return v, nil
	case "stream":
		d, ok := v.(pdfDict)
		if !ok {
			return bad("a stream without a dictionary")
		}
		data, err := f.streamData(l, d)
		if err != nil {
			return bad("%v", err)
		}
		if l.keyword() != "endobj" {
			return bad("no endobj")
		}
		return &pdfStream{dict: d, data: data}, nil
	}
	return bad("no endobj")
}

// streamData returns the bytes after the stream keyword the lexer has just read, /Length
// of them, and moves past endstream.
func (f *pdfFile) streamData(l *lexer, d pdfDict) ([]byte, error) {
	// The keyword is followed by CRLF or LF, never CR alone, then the data.
	switch {
	case bytes.HasPrefix(l.data[l.pos:], []byte("\r\n")):
		l.pos += 2
	case bytes.HasPrefix(l.data[l.pos:], []byte("\n")):
		l.pos++
	default:
		return nil, errors.New("no end of line after stream")
	}
	n, err := f.get(d, "Length")
	if err != nil {
		return nil, err
	}
	length, ok := n.(int64)
	if !ok || length < 0 || length > int64(len(l.data)-l.pos) {
		return nil, fmt.Errorf("stream /Length %v runs past the end of the file", n)
	}
	data := l.data[l.pos : l.pos+int(length)]
	l.pos += int(length)
	if l.keyword() != "endstream" {
		return nil, errors.New("no endstream after /Length bytes")
	}
	return data, nil
}

// resolve follows a reference; anything else is returned as it is.
func (f *pdfFile) resolve(v any) (any, error) {
	if r, ok := v.(pdfRef); ok {
		return f.object(r)
	}
	return v, nil
}

// get is d[key], resolved; nil when absent.
func (f *pdfFile) get(d pdfDict, key pdfName) (any, error) {
	return f.resolve(d[key])
}

// dict is d[key], resolved, which must be a dictionary; what names it for the error.
func (f *pdfFile) dict(d pdfDict, key pdfName, what string) (pdfDict, error) {
	v, err := f.get(d, key)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	sub, ok := v.(pdfDict)
	if !ok {
		return nil, damaged("%s /%s is not a dictionary", what, key)
	}
	return sub, nil
}

// fileSpec finds the one file specification of the EmbeddedFiles name tree that is named
// AttachmentName. Render keys the tree by its own names (Attachement1), so the file's name
// is read from the specification, not the key.
func (f *pdfFile) fileSpec() (pdfDict, error) {
	root, err := f.dict(f.trailer, "Root", "trailer")
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, damaged("the trailer names no /Root")
	}
	names, err := f.dict(root, "Names", "catalog")
	if err != nil {
		return nil, err
	}
	if names == nil {
		return nil, ErrNoAttachment
	}
	files, err := f.dict(names, "EmbeddedFiles", "name dictionary")
	if err != nil {
		return nil, err
	}
	if files == nil {
		return nil, ErrNoAttachment
	}
	w := &nameWalk{f: f, seen: map[pdfRef]bool{}}
	if err := w.walk(files, 0); err != nil {
		return nil, err
	}
	specs := w.values
	var found []pdfDict
	for _, s := range specs {
		v, err := f.resolve(s)
		if err != nil {
			return nil, err
		}
		spec, ok := v.(pdfDict)
		if !ok {
			return nil, damaged("an embedded file's specification is not a dictionary")
		}
		name, err := f.fileName(spec)
		if err != nil {
			return nil, err
		}
		if name == AttachmentName {
			found = append(found, spec)
		}
	}
	switch len(found) {
	case 0:
		return nil, ErrNoAttachment
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%d files named %s embedded: which one is the bill's is not clear", len(found), AttachmentName)
}

// nameWalk collects the values of a name tree, each node once.
type nameWalk struct {
	f      *pdfFile
	seen   map[pdfRef]bool
	values []any
}

func (w *nameWalk) walk(node pdfDict, depth int) error {
	if depth > maxDepth {
		return damaged("the EmbeddedFiles name tree is deeper than %d", maxDepth)
	}
	kv, err := w.f.get(node, "Names")
	if err != nil {
		return err
	}
	if kv != nil {
		pairs, ok := kv.([]any)
		if !ok || len(pairs)%2 != 0 {
			return damaged("EmbeddedFiles /Names is not an array of pairs")
		}
		for i := 1; i < len(pairs); i += 2 {
			w.values = append(w.values, pairs[i])
		}
		if len(w.values) > maxNames {
			return damaged("more than %d embedded files", maxNames)
		}
	}
	kids, err := w.f.get(node, "Kids")
	if err != nil || kids == nil {
		return err
	}
	arr, ok := kids.([]any)
	if !ok {
		return damaged("EmbeddedFiles /Kids is not an array")
	}
	for _, k := range arr {
		r, ok := k.(pdfRef)
		if !ok || w.seen[r] {
			return damaged("an EmbeddedFiles kid is not a reference, or loops")
		}
		w.seen[r] = true
		v, err := w.f.object(r)
		if err != nil {
			return err
		}
		kid, ok := v.(pdfDict)
		if !ok {
			return damaged("an EmbeddedFiles kid is not a dictionary")
		}
		if err := w.walk(kid, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// fileName is the specification's /UF (a Unicode text string), or else its /F.
func (f *pdfFile) fileName(spec pdfDict) (string, error) {
	for _, key := range []pdfName{"UF", "F"} {
		v, err := f.get(spec, key)
		if err != nil {
			return "", err
		}
		if s, ok := v.([]byte); ok && len(s) > 0 {
			return textString(s), nil
		}
	}
	return "", nil
}

// textString decodes a PDF text string: UTF-16BE or UTF-8 after their byte order marks,
// else PDFDocEncoding, which is ASCII where a file name can match AttachmentName.
func textString(s []byte) string {
	switch {
	case bytes.HasPrefix(s, []byte{0xfe, 0xff}):
		s = s[2:]
		u := make([]uint16, len(s)/2)
		for i := range u {
			u[i] = uint16(s[2*i])<<8 | uint16(s[2*i+1])
		}
		return string(utf16.Decode(u))
	case bytes.HasPrefix(s, []byte{0xef, 0xbb, 0xbf}):
		return string(s[3:])
	}
	r := make([]rune, len(s))
	for i, c := range s {
		r[i] = rune(c)
	}
	return string(r)
}

// contents decodes the embedded file stream of spec.
func (f *pdfFile) contents(spec pdfDict) ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("damaged %s attachment: %s", AttachmentName, fmt.Sprintf(format, args...))
	}
	ef, err := f.dict(spec, "EF", "file specification")
	if err != nil {
		return nil, err
	}
	if ef == nil {
		return bad("no /EF")
	}
	v, err := f.get(ef, "F")
	if err == nil && v == nil {
		v, err = f.get(ef, "UF")
	}
	if err != nil {
		return nil, err
	}
	s, ok := v.(*pdfStream)
	if !ok {
		return bad("the embedded file is not a stream")
	}
	filter, err := f.get(s.dict, "Filter")
	if err != nil {
		return nil, err
	}
	if arr, ok := filter.([]any); ok && len(arr) == 1 {
		filter = arr[0]
	}
	if _, ok := s.dict["DecodeParms"]; ok {
		return nil, fmt.Errorf("unsupported %s attachment: /DecodeParms", AttachmentName)
	}
	var data []byte
	switch filter {
	case nil:
		data = s.data
	case pdfName("FlateDecode"):
		zr, err := zlib.NewReader(bytes.NewReader(s.data))
		if err != nil {
			return bad("%v", err)
		}
		// ReadAll reads to the end, where zlib checks its Adler-32.
		if data, err = io.ReadAll(io.LimitReader(zr, maxAttachment+1)); err != nil {
			return bad("%v", err)
		}
	default:
		return nil, fmt.Errorf("unsupported %s attachment: filter %v", AttachmentName, filter)
	}
	if len(data) > maxAttachment {
		return nil, fmt.Errorf("%s attachment larger than %d MiB", AttachmentName, maxAttachment>>20)
	}
	params, err := f.dict(s.dict, "Params", "embedded file")
	if err != nil || params == nil {
		return data, err
	}
	size, err := f.get(params, "Size")
	if err != nil {
		return nil, err
	}
	if n, ok := size.(int64); size != nil && (!ok || n != int64(len(data))) {
		return bad("%d bytes, its /Size says %v", len(data), size)
	}
	sum, err := f.get(params, "CheckSum")
	if err != nil {
		return nil, err
	}
	if want, ok := sum.([]byte); sum != nil {
		if got := md5.Sum(data); !ok || !bytes.Equal(got[:], want) {
			return bad("its MD5 is %x, its /CheckSum says %x", got, want)
		}
	}
	return data, nil
}

// lexer reads PDF tokens and objects (ISO 32000-1 §7.2, §7.3) from data at pos.
type lexer struct {
	data []byte
	pos  int
}

func isSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

// skip moves past white space and comments.
func (l *lexer) skip() {
	for l.pos < len(l.data) {
		switch c := l.data[l.pos]; {
		case isSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.data) && l.data[l.pos] != '\n' && l.data[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

// keyword reads a run of regular characters: obj, xref, a number; "" at a delimiter.
func (l *lexer) keyword() string {
	l.skip()
	start := l.pos
	for l.pos < len(l.data) && isRegular(l.data[l.pos]) {
		l.pos++
	}
	return string(l.data[start:l.pos])
}

// integer reads a non-negative integer, as object numbers, offsets and counts are.
func (l *lexer) integer() (int, error) {
	kw := l.keyword()
	n, err := strconv.Atoi(kw)
	if err != nil || n < 0 || kw[0] == '+' {
		return 0, fmt.Errorf("want a number at offset %d, got %q", l.pos-len(kw), kw)
	}
	return n, nil
}

// value reads one object; references (N G R) are returned unresolved.
func (l *lexer) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("objects nested deeper than %d at offset %d", maxDepth, l.pos)
	}
	l.skip()
	if l.pos >= len(l.data) {
		return nil, errors.New("unexpected end of file")
	}
	switch c := l.data[l.pos]; c {
	case '/':
		return l.name()
	case '(':
		return l.literal()
	case '[':
		l.pos++
		var arr []any
		for {
			l.skip()
			if l.pos < len(l.data) && l.data[l.pos] == ']' {
				l.pos++
				return arr, nil
			}
			v, err := l.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
	case '<':
		if l.pos+1 < len(l.data) && l.data[l.pos+1] == '<' {
			return l.dict(depth)
		}
		return l.hex()
	}
	start := l.pos
	kw := l.keyword()
	switch kw {
	case "":
		return nil, fmt.Errorf("unexpected %q at offset %d", l.data[l.pos], l.pos)
	case "true", "false":
		return kw == "true", nil
	case "null":
		return nil, nil
	}
	if n, err := strconv.ParseInt(kw, 10, 64); err == nil {
		// N G R is a reference; a lone integer is a number.
		save := l.pos
		if g, err := strconv.Atoi(l.keyword()); err == nil && g >= 0 && n >= 0 && n < maxObjects && l.keyword() == "R" {
			return pdfRef{int(n), g}, nil
		}
		l.pos = save
		return n, nil
	}
	if x, err := strconv.ParseFloat(kw, 64); err == nil {
		return x, nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", kw, start)
}

func (l *lexer) dict(depth int) (pdfDict, error) {
	l.pos += 2
	d := pdfDict{}
	for {
		l.skip()
		if bytes.HasPrefix(l.data[l.pos:], []byte(">>")) {
			l.pos += 2
			return d, nil
		}
		k, err := l.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(pdfName)
		if !ok {
			return nil, fmt.Errorf("a dictionary key that is not a name before offset %d", l.pos)
		}
		if _, dup := d[key]; dup {
			return nil, fmt.Errorf("key /%s twice in a dictionary before offset %d", key, l.pos)
		}
		if d[key], err = l.value(depth + 1); err != nil {
			return nil, err
		}
	}
}

// name reads /Name, with its #xx escapes decoded.
func (l *lexer) name() (pdfName, error) {
	l.pos++
	var b []byte
	for l.pos < len(l.data) && isRegular(l.data[l.pos]) {
		c := l.data[l.pos]
		if c == '#' {
			if l.pos+2 >= len(l.data) {
				return "", fmt.Errorf("bad # escape in a name at offset %d", l.pos)
			}
			x, err := strconv.ParseUint(string(l.data[l.pos+1:l.pos+3]), 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad # escape in a name at offset %d", l.pos)
			}
			c = byte(x)
			l.pos += 2
		}
		b = append(b, c)
		l.pos++
	}
	return pdfName(b), nil
}

// literal reads a (string) with balanced parentheses and backslash escapes.
func (l *lexer) literal() ([]byte, error) {
	start := l.pos
	l.pos++
	var b []byte
	nest := 0
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		l.pos++
		switch c {
		case '(':
			nest++
		case ')':
			if nest == 0 {
				return b, nil
			}
			nest--
		case '\r':
			// An end of line in a string is a line feed, whichever it was.
			if l.pos < len(l.data) && l.data[l.pos] == '\n' {
				l.pos++
			}
			c = '\n'
		case '\\':
			if l.pos >= len(l.data) {
				break
			}
			c = l.data[l.pos]
			l.pos++
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n':
				// A backslash before an end of line continues the string.
				if c == '\r' && l.pos < len(l.data) && l.data[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(c - '0')
				for i := 0; i < 2 && l.pos < len(l.data) && l.data[l.pos] >= '0' && l.data[l.pos] <= '7'; i++ {
					v = v*8 + int(l.data[l.pos]-'0')
					l.pos++
				}
				c = byte(v)
			}
		}
		b = append(b, c)
	}
	return nil, fmt.Errorf("string at offset %d does not end", start)
}

// hex reads a <hex string>; an odd last digit is followed by 0.
func (l *lexer) hex() ([]byte, error) {
	start := l.pos
	l.pos++
	var digits []byte
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		l.pos++
		switch {
		case c == '>':
			if len(digits)%2 == 1 {
				digits = append(digits, '0')
			}
			b := make([]byte, len(digits)/2)
			for i := range b {
				x, _ := strconv.ParseUint(string(digits[2*i:2*i+2]), 16, 8)
				b[i] = byte(x)
			}
			return b, nil
		case isSpace(c):
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			digits = append(digits, c)
		default:
			return nil, fmt.Errorf("bad hex string at offset %d", start)
		}
	}
	return nil, fmt.Errorf("hex string at offset %d does not end", start)
}
