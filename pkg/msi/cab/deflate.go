package cab

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// Go's compress/flate gives a Huffman code with a single used symbol a
// one-bit length, leaving the code incomplete (RFC 1951 allows this for
// distance codes). It does so for the distance code of every block whose
// matches all fall in one distance bucket (a run of one repeated byte) or
// that has no matches at all. libmspack (cabextract) rejects any incomplete
// code that is not all zero, so such a block fails to extract. The writer
// therefore decodes every compressed block with checkDeflate, which applies
// libmspack's rule and compares the output with the input, and re-encodes a
// rejected block with encodeFixed (fixed Huffman codes, which are complete)
// or as a stored block, whichever is smaller.

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder     = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

var (
	errDeflate    = errors.New("invalid deflate data")
	errIncomplete = errors.New("incomplete Huffman code")
)

// bitReader reads a deflate stream LSB first.
type bitReader struct {
	src   []byte
	pos   int
	bits  uint64
	n     uint
	extra int // zero bytes supplied past the end
}

// refill tops the buffer up to at least 56 bits. Away from the end it loads
// eight bytes at once: the bits past those it counts are the next bytes'
// own, at their own places, so loading them again later changes nothing.
func (r *bitReader) refill() {
	if r.pos+8 <= len(r.src) {
		r.bits |= binary.LittleEndian.Uint64(r.src[r.pos:]) << r.n
		k := (63 - r.n) >> 3
		r.pos += int(k)
		r.n += k << 3
		return
	}
	r.refillEnd()
}

// refillEnd is refill near the end of the input, which it pads with zero
// bytes (counted in extra, see overrun). It stays out of line so that
// refill is inlined.
//
//go:noinline
func (r *bitReader) refillEnd() {
	r.bits &= 1<<r.n - 1 // drop what the fast path loaded ahead
	for r.n <= 56 {
		var b byte
		if r.pos < len(r.src) {
			b = r.src[r.pos]
			r.pos++
		} else {
			r.extra++
		}
		r.bits |= uint64(b) << r.n
		r.n += 8
	}
}

// read returns the next n bits.
func (r *bitReader) read(n uint) uint32 {
	if r.n < n {
		r.refill()
	}
	return r.take(n)
}

// take returns the next n bits, which the buffer holds.
func (r *bitReader) take(n uint) uint32 {
	v := uint32(r.bits & (1<<n - 1))
	r.bits >>= n
	r.n -= n
	return v
}

// overrun reports whether more bits were consumed than the input holds.
func (r *bitReader) overrun() bool { return int(r.n)/8 < r.extra }

// tableBits is the widest lookup table a decoder uses: the codes of
// compressed executables are mostly 8 to 11 bits long, and a code longer
// than the table is decoded a bit at a time. A code whose longest length is
// shorter (the code-length code, most distance codes) gets a table only as
// wide as that, which is quicker to fill.
const tableBits = 11

// huffman is a canonical Huffman decoder: a lookup table for codes of up to
// width bits and the counts per length for the rest.
type huffman struct {
	count  [16]uint16
	symbol [288]uint16
	width  uint                   // the table's width in bits, at most tableBits
	table  [1 << tableBits]uint16 // symbol<<4 | length, 0 when the code is longer
}

// build sets up the decoder for the given code lengths, rejecting codes
// that are over-subscribed or, unless all lengths are zero, incomplete.
func (h *huffman) build(lengths []uint8) error {
	h.count = [16]uint16{}
	longest := uint8(0)
	for _, l := range lengths {
		h.count[l]++
		longest = max(longest, l)
	}
	if longest == 0 {
		h.width = 0
		h.table[0] = 0
		return nil // empty code: valid until a symbol is decoded
	}
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return errDeflate
		}
	}
	if left != 0 {
		return errIncomplete // libmspack refuses it
	}
	var offs [16]uint16
	for l := 2; l < 16; l++ {
		offs[l] = offs[l-1] + h.count[l-1]
	}
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	// Fill the lookup table from the canonical codes.
	h.width = min(uint(longest), tableBits)
	size := 1 << h.width
	clear(h.table[:size])
	code, index := 0, 0
	for l := 1; l <= int(h.width); l++ {
		for i := 0; i < int(h.count[l]); i++ {
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			for k := rev; k < size; k += 1 << l {
				h.table[k] = h.symbol[index]<<4 | uint16(l)
			}
			code++
			index++
		}
		code <<= 1
	}
	return nil
}

// decode reads one symbol. The caller has made sure the buffer holds at
// least 15 bits (a code's longest) or all that is left of the input.
func (h *huffman) decode(r *bitReader) (int, error) {
	if e := h.table[r.bits&(1<<h.width-1)]; e != 0 {
		r.take(uint(e & 15))
		return int(e >> 4), nil
	}
	return h.decodeLong(r)
}

// decodeLong reads a symbol whose code is longer than the table, a bit at
// a time.
func (h *huffman) decodeLong(r *bitReader) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		code |= int(r.read(1))
		count := int(h.count[l])
		if code-first < count {
			return int(h.symbol[index+code-first]), nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, errDeflate
}

// decoder holds checkDeflate's tables for reuse: those of the current
// dynamic block, and deflate's fixed codes, built once (every record ends
// with a fixed block).
type decoder struct {
	lit, dist           huffman
	fixedLit, fixedDist huffman
	fixedBuilt          bool
}

// fixed returns the decoders of deflate's fixed codes.
func (d *decoder) fixed() (lit, dist *huffman) {
	if !d.fixedBuilt {
		var lengths [288 + 32]uint8
		for i := range 288 {
			lengths[i] = 8
			switch {
			case i >= 144 && i < 256:
				lengths[i] = 9
			case i >= 256 && i < 280:
				lengths[i] = 7
			}
		}
		for i := range 32 {
			lengths[288+i] = 5
		}
		// Both codes are complete (the literal code's 286 and 287 take
		// the last places), so build cannot fail.
		_ = d.fixedLit.build(lengths[:288])
		_ = d.fixedDist.build(lengths[288:])
		d.fixedBuilt = true
	}
	return &d.fixedLit, &d.fixedDist
}

// checkDeflate decodes src as libmspack's MSZIP decoder would and reports
// whether it decodes, to exactly want, with only complete Huffman codes.
//
// dict is the history the decoder holds from the previous block (MSZIP keeps
// up to 32 KiB of it); back-references may reach into it.
//
// Nothing is written out: the decoder's output so far is dict followed by
// want[:pos] as long as every symbol matched, so a literal is compared with
// want[pos] and a match with the bytes it copies, in dict or want. The
// comparison holds for overlapping matches too: out[pos+k] = out[pos+k-back]
// for each k in turn, and every byte before pos+k was already found equal to
// want's.
func checkDeflate(src, want, dict []byte, dec *decoder) error {
	r := &bitReader{src: src}
	pos := 0
	var err error
	var lit, dist *huffman
	var lengths [288 + 32]uint8
	for {
		final := r.read(1)
		switch r.read(2) {
		case 0:
			r.bits >>= r.n % 8
			r.n -= r.n % 8
			n := int(r.read(16))
			if r.read(16) != ^uint32(n)&0xffff || pos+n > len(want) {
				return errDeflate
			}
			for ; n > 0 && r.n >= 8; n-- {
				if want[pos] != byte(r.bits) {
					return errDeflate
				}
				pos++
				r.bits >>= 8
				r.n -= 8
			}
			if n > 0 {
				// The buffer is empty: its bits ahead are the bytes skipped here.
				r.bits = 0
			}
			if r.pos+n > len(r.src) || string(r.src[r.pos:r.pos+n]) != string(want[pos:pos+n]) {
				return errDeflate
			}
			r.pos += n
			pos += n
			goto next
		case 1:
			lit, dist = dec.fixed()
		case 2:
			lit, dist = &dec.lit, &dec.dist
			nlit, ndist, ncl := int(r.read(5))+257, int(r.read(5))+1, int(r.read(4))+4
			if nlit > 286 || ndist > 30 {
				return errDeflate
			}
			var cl [19]uint8
			for i := range ncl {
				cl[clOrder[i]] = uint8(r.read(3))
			}
			if err := lit.build(cl[:]); err != nil {
				return err
			}
			lengths = [320]uint8{}
			for i := 0; i < nlit+ndist; {
				if r.n < 16 {
					r.refill()
				}
				sym, err := lit.decode(r)
				if err != nil {
					return err
				}
				rep, val := 1, uint8(sym)
				switch sym {
				case 16:
					if i == 0 {
						return errDeflate
					}
					rep, val = 3+int(r.read(2)), lengths[i-1]
				case 17:
					rep, val = 3+int(r.read(3)), 0
				case 18:
					rep, val = 11+int(r.read(7)), 0
				}
				if i+rep > nlit+ndist {
					return errDeflate
				}
				for ; rep > 0; rep-- {
					lengths[i] = val
					i++
				}
			}
			if err := lit.build(lengths[:nlit]); err != nil {
				return err
			}
			if err := dist.build(lengths[nlit : nlit+ndist]); err != nil {
				return err
			}
		default:
			return errDeflate
		}
		if pos, err = checkSymbols(r, lit, dist, want, dict, pos); err != nil {
			return err
		}
	next:
		if r.overrun() {
			return errDeflate
		}
		if final == 1 {
			break
		}
	}
	if pos != len(want) {
		return errDeflate
	}
	return nil
}

// checkSymbols checks a compressed block's symbols, up to its end-of-block
// symbol, against want from pos (see checkDeflate), and returns the new
// pos. It is the decoder's inner loop, written for speed: the bit buffer
// lives in local variables (refill and the table look-ups by hand) and
// goes back to r only around the rare calls that need it.
func checkSymbols(r *bitReader, lit, dist *huffman, want, dict []byte, pos int) (int, error) {
	src, bits, nb, at := r.src, r.bits, r.n, r.pos
	litMask, distMask := uint64(1)<<lit.width-1, uint64(1)<<dist.width-1
	var err error
	for {
		// 48 bits hold a length code, its extra bits, a distance code
		// and its extra bits (15+5+15+13): one refill per symbol.
		if nb < 48 {
			if at+8 <= len(src) {
				bits |= binary.LittleEndian.Uint64(src[at:]) << nb
				k := (63 - nb) >> 3
				at += int(k)
				nb += k << 3
			} else {
				r.bits, r.n, r.pos = bits, nb, at
				r.refillEnd()
				bits, nb, at = r.bits, r.n, r.pos
			}
		}
		var sym int
		if e := lit.table[bits&litMask]; e != 0 {
			l := uint(e & 15)
			bits >>= l
			nb -= l
			sym = int(e >> 4)
		} else {
			r.bits, r.n, r.pos = bits, nb, at
			sym, err = lit.decodeLong(r)
			bits, nb, at = r.bits, r.n, r.pos
			if err != nil {
				return pos, err
			}
		}
		if sym < 256 {
			if pos >= len(want) || want[pos] != byte(sym) {
				return pos, errDeflate
			}
			pos++
			continue
		}
		if sym == 256 {
			r.bits, r.n, r.pos = bits, nb, at
			return pos, nil
		}
		sym -= 257
		if sym >= 29 {
			return pos, errDeflate
		}
		x := uint(lengthExtra[sym])
		n := int(lengthBase[sym]) + int(bits&(1<<x-1))
		bits >>= x
		nb -= x
		var d int
		if e := dist.table[bits&distMask]; e != 0 {
			l := uint(e & 15)
			bits >>= l
			nb -= l
			d = int(e >> 4)
		} else {
			r.bits, r.n, r.pos = bits, nb, at
			d, err = dist.decodeLong(r)
			bits, nb, at = r.bits, r.n, r.pos
			if err != nil {
				return pos, err
			}
		}
		if d >= 30 {
			return pos, errDeflate
		}
		x = uint(distExtra[d])
		back := int(distBase[d]) + int(bits&(1<<x-1))
		bits >>= x
		nb -= x
		if back > len(dict)+pos || pos+n > len(want) {
			return pos, errDeflate
		}
		from, got := pos-back, want[pos:pos+n]
		if from < 0 { // starts in the history
			m := min(n, -from)
			if !equal(got[:m], dict[len(dict)+from:len(dict)+from+m]) {
				return pos, errDeflate
			}
			got, from = got[m:], 0
		}
		if !equal(got, want[from:from+len(got)]) {
			return pos, errDeflate
		}
		pos += n
	}
}

// equal reports whether a and b, of equal length, hold the same bytes:
// most matches are a few bytes long, too short to be worth a call to the
// runtime's comparison.
func equal(a, b []byte) bool {
	if len(a) > 16 {
		return string(a) == string(b)
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bitWriter writes a deflate stream LSB first.
type bitWriter struct {
	out  []byte
	bits uint64
	n    uint
}

func (w *bitWriter) write(v uint32, n uint) {
	w.bits |= uint64(v) << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.bits))
		w.bits >>= 8
		w.n -= 8
	}
}

// writeCode writes a Huffman code, which goes MSB first.
func (w *bitWriter) writeCode(code uint32, n uint) {
	w.write(uint32(bits.Reverse16(uint16(code)))>>(16-n), n)
}

func (w *bitWriter) flush() []byte {
	if w.n > 0 {
		w.out = append(w.out, byte(w.bits))
	}
	return w.out
}

// fixedLit writes literal/length symbol sym with the fixed Huffman code.
func (w *bitWriter) fixedLit(sym int) {
	switch {
	case sym < 144:
		w.writeCode(uint32(0x30+sym), 8)
	case sym < 256:
		w.writeCode(uint32(0x190+sym-144), 9)
	case sym < 280:
		w.writeCode(uint32(sym-256), 7)
	default:
		w.writeCode(uint32(0xc0+sym-280), 8)
	}
}

// encodeFixed appends to dst a deflate stream of one final block with fixed
// Huffman codes holding raw, matched greedily against raw alone.
func encodeFixed(dst, raw []byte) []byte {
	const (
		hashBits = 14
		maxChain = 32
	)
	w := &bitWriter{out: dst}
	w.write(1, 1) // BFINAL
	w.write(1, 2) // BTYPE 01: fixed codes
	var head [1 << hashBits]int32
	prev := make([]int32, len(raw))
	for i := range head {
		head[i] = -1
	}
	hash := func(i int) int {
		v := uint32(raw[i]) | uint32(raw[i+1])<<8 | uint32(raw[i+2])<<16
		return int((v * 2654435761) >> (32 - hashBits))
	}
	insert := func(i int) {
		if i+3 <= len(raw) {
			h := hash(i)
			prev[i] = head[h]
			head[h] = int32(i)
		}
	}
	for i := 0; i < len(raw); {
		bestLen, bestDist := 0, 0
		if i+3 <= len(raw) {
			limit := min(258, len(raw)-i)
			for c, chain := head[hash(i)], 0; c >= 0 && chain < maxChain && i-int(c) <= 32768; c, chain = prev[c], chain+1 {
				n := 0
				for n < limit && raw[int(c)+n] == raw[i+n] {
					n++
				}
				if n > bestLen {
					bestLen, bestDist = n, i-int(c)
					if n == limit {
						break
					}
				}
			}
		}
		if bestLen < 3 {
			w.fixedLit(int(raw[i]))
			insert(i)
			i++
			continue
		}
		lc := 0
		for lc < 28 && int(lengthBase[lc+1]) <= bestLen {
			lc++
		}
		w.fixedLit(257 + lc)
		w.write(uint32(bestLen-int(lengthBase[lc])), uint(lengthExtra[lc]))
		dc := 0
		for dc < 29 && int(distBase[dc+1]) <= bestDist {
			dc++
		}
		w.writeCode(uint32(dc), 5)
		w.write(uint32(bestDist-int(distBase[dc])), uint(distExtra[dc]))
		for k := 0; k < bestLen; k++ {
			insert(i + k)
		}
		i += bestLen
	}
	w.fixedLit(256)
	return w.flush()
}
