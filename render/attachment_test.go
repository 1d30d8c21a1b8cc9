package render_test

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ebill/render"
)

// pdfWriter writes a PDF object by object, for the files Render never makes: incremental
// updates, name trees with kids, other filters.
type pdfWriter struct {
	buf      bytes.Buffer
	offs     map[int]int
	lastXref int
}

func newPDFWriter() *pdfWriter {
	w := &pdfWriter{offs: map[int]int{}}
	w.buf.WriteString("%PDF-1.7\n")
	return w
}

func (w *pdfWriter) obj(num int, body string) {
	w.offs[num] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", num, body)
}

// stream writes a stream object; dict is the dictionary's entries besides /Length.
func (w *pdfWriter) stream(num int, dict string, data []byte) {
	w.obj(num, fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data))
}

// end writes the cross-reference section of the objects since the last end, and its
// trailer (the entries besides /Size and /Prev), and returns the file so far.
func (w *pdfWriter) end(trailer string) []byte {
	xref := w.buf.Len()
	w.buf.WriteString("xref\n")
	nums := make([]int, 0, len(w.offs))
	for n := range w.offs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		fmt.Fprintf(&w.buf, "%d 1\n%010d 00000 n \n", n, w.offs[n])
	}
	prev := ""
	if w.lastXref > 0 {
		prev = fmt.Sprintf(" /Prev %d", w.lastXref)
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d %s%s >>\nstartxref\n%d\n%%%%EOF\n", nums[len(nums)-1]+1, trailer, prev, xref)
	w.offs, w.lastXref = map[int]int{}, xref
	return bytes.Clone(w.buf.Bytes())
}

func deflate(data []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// utf16Name is name as a PDF text string in UTF-16BE, as fpdf writes /UF.
func utf16Name(name string) string {
	s := "<FEFF"
	for _, r := range name {
		s += fmt.Sprintf("%04X", r)
	}
	return s + ">"
}

// handmade is a PDF that embeds each of files (name, contents, …) as a stream with the
// dictionary entries dict, through a name tree of one node.
func handmade(dict string, files ...string) []byte {
	w := newPDFWriter()
	w.obj(1, "<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>")
	var names []string
	for i := 0; i < len(files); i += 2 {
		spec, stream := 10+i, 11+i
		w.obj(spec, fmt.Sprintf("<< /Type /Filespec /F (%s) /EF << /F %d 0 R >> >>", files[i], stream))
		w.stream(stream, dict, []byte(files[i+1]))
		names = append(names, fmt.Sprintf("(f%d) %d 0 R", i, spec))
	}
	w.obj(2, "<< /Names ["+strings.Join(names, " ")+"] >>")
	return w.end("/Root 1 0 R")
}

func TestReadAttachment(t *testing.T) {
	ss := samples(t)
	rendered := renderPDF(t, ss[0].b, ss[0].o)
	bundle := ss[0].o.Attachment

	// The compressed stream of the rendered file, to damage in place.
	at := bytes.Index(rendered, []byte("/Type /EmbeddedFile"))
	at += bytes.Index(rendered[at:], []byte("stream\n")) + len("stream\n")
	flipped := bytes.Clone(rendered)
	flipped[at+100] ^= 0x20

	plain := func() []byte {
		w := newPDFWriter()
		w.obj(1, "<< /Type /Catalog /Names << /EmbeddedFiles << /Kids [2 0 R] >> >> >>")
		w.obj(2, "<< /Kids [3 0 R] >>")
		w.obj(3, "<< /Names [(a) 4 0 R] >>")
		w.obj(4, "<< /Type /Filespec /F () /UF "+utf16Name(render.AttachmentName)+" /EF << /F 5 0 R >> >>")
		w.obj(5, "<< /Type /EmbeddedFile /Filter [/FlateDecode] /Length 6 0 R >>\r\nstream\r\n"+
			string(deflate([]byte("kids")))+"\r\nendstream")
		w.obj(6, fmt.Sprint(len(deflate([]byte("kids")))))
		return w.end("/Root 1 0 R % a comment\n")
	}()

	// An incremental update replaces the stream of the first version.
	updated := func() []byte {
		w := newPDFWriter()
		w.obj(1, "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(x) 2 0 R] >> >> >>")
		w.obj(2, "<< /Type /Filespec /F (ebill.json) /EF << /F 3 0 R >> >>")
		w.stream(3, "/Type /EmbeddedFile", []byte("old"))
		w.end("/Root 1 0 R")
		w.stream(3, "/Type /EmbeddedFile", []byte("new"))
		return w.end("/Root 1 0 R")
	}()

	loop := func() []byte {
		w := newPDFWriter()
		w.obj(1, "<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>")
		w.obj(2, "<< /Kids [2 0 R] >>")
		return w.end("/Root 1 0 R")
	}()

	selfLength := func() []byte {
		w := newPDFWriter()
		w.obj(1, "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(x) 2 0 R] >> >> >>")
		w.obj(2, "<< /Type /Filespec /F (ebill.json) /EF << /F 3 0 R >> >>")
		w.obj(3, "<< /Length 3 0 R >>\nstream\nabc\nendstream")
		return w.end("/Root 1 0 R")
	}()

	xrefStream := []byte("%PDF-1.7\n1 0 obj\n<< /Type /XRef >>\nendobj\nstartxref\n9\n%%EOF\n")
	badStartxref := bytes.Replace(rendered, []byte("startxref\n"), []byte("startxref\n1"), 1)
	const plainFile = "/Type /EmbeddedFile"
	encrypted := bytes.Replace(handmade(plainFile, "ebill.json", "abc"), []byte("/Root 1 0 R"),
		[]byte("/Root 1 0 R /Encrypt 1 0 R"), 1)

	for _, tt := range []struct {
		name    string
		pdf     []byte
		want    []byte
		err     error  // what the error wraps, if anything
		message string // what it says
	}{
		{name: "outpatient", pdf: rendered, want: bundle},
		{name: "inpatient", pdf: renderPDF(t, ss[1].b, ss[1].o), want: ss[1].o.Attachment},
		{name: "red", pdf: renderPDF(t, ss[2].b, ss[2].o), want: ss[2].o.Attachment},
		{name: "kids, indirect length, CRLF", pdf: plain, want: []byte("kids")},
		{name: "incremental update", pdf: updated, want: []byte("new")},
		{name: "among others", pdf: handmade(plainFile, "a.txt", "a", "ebill.json", "{}", "b.txt", "b"), want: []byte("{}")},
		{name: "draft", pdf: renderPDF(t, ss[3].b, ss[3].o), err: render.ErrNoAttachment},
		{name: "other names only", pdf: handmade(plainFile, "bill.json", "{}"), err: render.ErrNoAttachment},
		{name: "empty", pdf: nil, err: render.ErrNotPDF},
		{name: "text", pdf: bundle, err: render.ErrNotPDF},
		{name: "truncated", pdf: rendered[:len(rendered)-200], err: render.ErrNotPDF},
		{name: "two attachments", pdf: handmade(plainFile, "ebill.json", "{}", "ebill.json", "[]"), message: "2 files named ebill.json"},
		{name: "stream byte flipped", pdf: flipped, message: "damaged ebill.json attachment"},
		{name: "startxref wrong", pdf: badStartxref, message: "damaged PDF"},
		{name: "kids loop", pdf: loop, message: "loops"},
		{name: "length refers to its stream", pdf: selfLength, message: "refers to itself"},
		{name: "cross-reference stream", pdf: xrefStream, message: "unsupported PDF: a cross-reference stream"},
		{name: "encrypted", pdf: encrypted, message: "unsupported PDF: encrypted"},
		{name: "other filter", pdf: handmade("/Filter /ASCIIHexDecode", "ebill.json", "3132"), message: "unsupported ebill.json attachment: filter ASCIIHexDecode"},
		{name: "size", pdf: handmade("/Params << /Size 4 >>", "ebill.json", "abc"), message: "3 bytes, its /Size says 4"},
		{name: "checksum", pdf: handmade("/Params << /CheckSum <00112233445566778899aabbccddeeff> >>", "ebill.json", "abc"), message: "its /CheckSum says 00112233"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render.ReadAttachment(bytes.NewReader(tt.pdf))
			switch {
			case tt.want != nil && err != nil:
				t.Fatalf("ReadAttachment: %v", err)
			case tt.want != nil && !bytes.Equal(got, tt.want):
				t.Fatalf("ReadAttachment = %q, want %q", got, tt.want)
			case tt.want != nil:
			case err == nil:
				t.Fatalf("ReadAttachment = %q, want an error", got)
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("ReadAttachment: %v, want %v", err, tt.err)
			case !strings.Contains(err.Error(), tt.message):
				t.Fatalf("ReadAttachment: %v, want %q in it", err, tt.message)
			}
		})
	}
}

// FuzzReadAttachment feeds ReadAttachment damaged PDFs: it must refuse them or return a
// file, never panic or run away.
func FuzzReadAttachment(f *testing.F) {
	for _, name := range []string{"outpatient.pdf", "draft.pdf"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(handmade("/Type /EmbeddedFile", "ebill.json", "{}", "a.txt", "a"))
	f.Fuzz(func(t *testing.T, pdf []byte) {
		render.ReadAttachment(bytes.NewReader(pdf))
	})
}
