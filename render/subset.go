package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// trueType is a TrueType font parsed once, from which each bill gets a subset holding just
// the characters it prints. fpdf parses every font it is given in full, for every document,
// at a cost that grows with the number of characters: ~35 ms for the bundled face, against
// well under a millisecond for the few hundred glyphs of one bill.
type trueType struct {
	tables    map[string][]byte
	loca      []uint32 // glyph offsets into glyf, numGlyphs+1 of them
	nHMetrics int
	gid       []uint16 // glyph of each BMP rune, 0 for none; filled by the caller
}

var errFontTable = errors.New("malformed TrueType table")

func parseTrueType(data []byte) (*trueType, error) {
	be := binary.BigEndian
	if len(data) < 12 {
		return nil, errFontTable
	}
	n := int(be.Uint16(data[4:]))
	f := &trueType{tables: map[string][]byte{}, gid: make([]uint16, 0x10000)}
	for i := range n {
		rec := data[12+16*i:]
		if len(rec) < 16 {
			return nil, errFontTable
		}
		off, size := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		if off+size > len(data) {
			return nil, fmt.Errorf("%w: %q past the end", errFontTable, rec[:4])
		}
		f.tables[string(rec[:4])] = data[off : off+size]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap", "name", "OS/2", "post"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("%w: no %q table", errFontTable, t)
		}
	}
	numGlyphs := int(be.Uint16(f.tables["maxp"][4:]))
	f.nHMetrics = int(be.Uint16(f.tables["hhea"][34:]))
	loca := f.tables["loca"]
	long := be.Uint16(f.tables["head"][50:]) == 1
	f.loca = make([]uint32, numGlyphs+1)
	for g := range f.loca {
		switch {
		case long && 4*g+4 <= len(loca):
			f.loca[g] = be.Uint32(loca[4*g:])
		case !long && 2*g+2 <= len(loca):
			f.loca[g] = 2 * uint32(be.Uint16(loca[2*g:]))
		default:
			return nil, fmt.Errorf("%w: short loca", errFontTable)
		}
	}
	if int(f.loca[numGlyphs]) > len(f.tables["glyf"]) || f.nHMetrics == 0 || f.nHMetrics > numGlyphs {
		return nil, fmt.Errorf("%w: glyf or hmtx", errFontTable)
	}
	return f, nil
}

func (f *trueType) glyph(g uint16) []byte { return f.tables["glyf"][f.loca[g]:f.loca[g+1]] }

// Composite glyph flags (TrueType glyf table).
const (
	argWords   = 0x0001
	haveScale  = 0x0008
	moreComps  = 0x0020
	haveXYScal = 0x0040
	have2x2    = 0x0080
)

// components calls fn with the offset of each component's glyph index in the composite
// glyph data; nothing for a simple glyph.
func components(data []byte, fn func(at int)) {
	if len(data) < 10 || int16(binary.BigEndian.Uint16(data)) >= 0 {
		return
	}
	for p := 10; p+4 <= len(data); {
		flags := binary.BigEndian.Uint16(data[p:])
		fn(p + 2)
		p += 4
		if flags&argWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScal != 0:
			p += 4
		case flags&have2x2 != 0:
			p += 8
		}
		if flags&moreComps == 0 {
			return
		}
	}
}

// subset is a TrueType font with the glyphs of runes (those it has) and the glyphs they
// are composed of, in their original order, with a format-4 cmap. Hinting tables are kept.
func (f *trueType) subset(runes []rune) []byte {
	be := binary.BigEndian
	// The closure of the glyphs under composition; glyph 0 (.notdef) always comes first.
	keep := map[uint16]bool{0: true}
	var visit func(g uint16)
	visit = func(g uint16) {
		if keep[g] && g != 0 {
			return
		}
		keep[g] = true
		data := f.glyph(g)
		components(data, func(at int) { visit(be.Uint16(data[at:])) })
	}
	var mapped []rune
	for _, r := range runes {
		if r >= 0 && r < 0x10000 && f.gid[r] != 0 {
			mapped = append(mapped, r)
			visit(f.gid[r])
		}
	}
	old := slices.Sorted(maps.Keys(keep))
	newID := make(map[uint16]uint16, len(old))
	for i, g := range old {
		newID[g] = uint16(i)
	}

	var glyf, hmtx, loca []byte
	lastAdv := be.Uint16(f.tables["hmtx"][4*(f.nHMetrics-1):])
	for _, g := range old {
		loca = be.AppendUint32(loca, uint32(len(glyf)))
		data := slices.Clone(f.glyph(g))
		components(data, func(at int) { be.PutUint16(data[at:], newID[be.Uint16(data[at:])]) })
		glyf = append(glyf, data...)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		adv, lsb := lastAdv, uint16(0)
		if int(g) < f.nHMetrics {
			adv, lsb = be.Uint16(f.tables["hmtx"][4*int(g):]), be.Uint16(f.tables["hmtx"][4*int(g)+2:])
		} else if p := 4*f.nHMetrics + 2*(int(g)-f.nHMetrics); p+2 <= len(f.tables["hmtx"]) {
			lsb = be.Uint16(f.tables["hmtx"][p:])
		}
		hmtx = be.AppendUint16(be.AppendUint16(hmtx, adv), lsb)
	}
	loca = be.AppendUint32(loca, uint32(len(glyf)))

	n := uint16(len(old))
	head := slices.Clone(f.tables["head"])
	be.PutUint32(head[8:], 0)  // checkSumAdjustment: not needed inside a PDF
	be.PutUint16(head[50:], 1) // long loca
	hhea := slices.Clone(f.tables["hhea"])
	be.PutUint16(hhea[34:], n)
	maxp := slices.Clone(f.tables["maxp"])
	be.PutUint16(maxp[4:], n)
	// post version 3: no glyph names (they are half a megabyte here).
	post := append([]byte{0, 3, 0, 0}, f.tables["post"][4:32]...)

	out := map[string][]byte{
		"head": head, "hhea": hhea, "maxp": maxp, "post": post,
		"OS/2": f.tables["OS/2"], "name": f.tables["name"],
		"glyf": glyf, "loca": loca, "hmtx": hmtx,
		"cmap": cmap4(mapped, func(r rune) uint16 { return newID[f.gid[r]] }),
	}
	for _, t := range []string{"cvt ", "fpgm", "prep", "gasp"} {
		if f.tables[t] != nil {
			out[t] = f.tables[t]
		}
	}
	return assemble(out)
}

// cmap4 is a cmap table with one Windows Unicode BMP subtable of format 4 mapping runes
// (sorted, unique, BMP) to glyph ids; consecutive runes with consecutive glyphs share a
// segment.
func cmap4(runes []rune, gid func(rune) uint16) []byte {
	type seg struct{ start, end, delta uint16 }
	var segs []seg
	for _, r := range runes {
		g := gid(r)
		if k := len(segs) - 1; k >= 0 && uint16(r) == segs[k].end+1 && g-uint16(r) == segs[k].delta {
			segs[k].end++
			continue
		}
		segs = append(segs, seg{uint16(r), uint16(r), g - uint16(r)})
	}
	segs = append(segs, seg{0xFFFF, 0xFFFF, 1})
	be := binary.BigEndian
	n := len(segs)
	sr := 2
	es := 0
	for sr*2 <= 2*n {
		sr *= 2
		es++
	}
	var sub []byte
	for _, v := range []int{4, 16 + 8*n, 0, 2 * n, sr, es, 2*n - sr} {
		sub = be.AppendUint16(sub, uint16(v))
	}
	for _, s := range segs {
		sub = be.AppendUint16(sub, s.end)
	}
	sub = be.AppendUint16(sub, 0)
	for _, s := range segs {
		sub = be.AppendUint16(sub, s.start)
	}
	for _, s := range segs {
		sub = be.AppendUint16(sub, s.delta)
	}
	for range segs {
		sub = be.AppendUint16(sub, 0) // idRangeOffset: glyph = rune + delta
	}
	head := []byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12} // version 0, one table: (3, 1) at 12
	return append(head, sub...)
}

// assemble writes the tables as a TrueType file, in tag order.
func assemble(tables map[string][]byte) []byte {
	be := binary.BigEndian
	tags := slices.Sorted(maps.Keys(tables))
	n := len(tags)
	sr, es := 1, 0
	for sr*2 <= n {
		sr *= 2
		es++
	}
	out := be.AppendUint32(nil, 0x00010000)
	for _, v := range []int{n, 16 * sr, es, 16 * (n - sr)} {
		out = be.AppendUint16(out, uint16(v))
	}
	off := 12 + 16*n
	var body []byte
	for _, t := range tags {
		data := tables[t]
		out = append(out, t...)
		out = be.AppendUint32(out, checksum(data))
		out = be.AppendUint32(out, uint32(off+len(body)))
		out = be.AppendUint32(out, uint32(len(data)))
		body = append(body, data...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	return append(out, body...)
}

func checksum(data []byte) uint32 {
	var sum uint32
	for i := 0; i < len(data); i += 4 {
		var w [4]byte
		copy(w[:], data[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
