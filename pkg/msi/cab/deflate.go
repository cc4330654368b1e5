package cab

import (
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

func (r *bitReader) refill() {
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

func (r *bitReader) read(n uint) uint32 {
	if r.n < n {
		r.refill()
	}
	v := uint32(r.bits & (1<<n - 1))
	r.bits >>= n
	r.n -= n
	return v
}

// overrun reports whether more bits were consumed than the input holds.
func (r *bitReader) overrun() bool { return int(r.n)/8 < r.extra }

// tableBits is the width of the decoder's lookup table: the codes of
// compressed executables are mostly 8 to 11 bits long, and a code longer
// than the table is decoded a bit at a time.
const tableBits = 11

// huffman is a canonical Huffman decoder: a lookup table for codes of up to
// tableBits and the counts per length for the rest.
type huffman struct {
	count  [16]uint16
	symbol [288]uint16
	table  [1 << tableBits]uint16 // symbol<<4 | length, 0 when the code is longer
}

// build sets up the decoder for the given code lengths, rejecting codes
// that are over-subscribed or, unless all lengths are zero, incomplete.
func (h *huffman) build(lengths []uint8) error {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	if int(h.count[0]) == len(lengths) {
		h.table = [1 << tableBits]uint16{}
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
	h.table = [1 << tableBits]uint16{}
	code, index := 0, 0
	for l := 1; l <= tableBits; l++ {
		for i := 0; i < int(h.count[l]); i++ {
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			for k := rev; k < 1<<tableBits; k += 1 << l {
				h.table[k] = h.symbol[index]<<4 | uint16(l)
			}
			code++
			index++
		}
		code <<= 1
	}
	return nil
}

func (h *huffman) decode(r *bitReader) (int, error) {
	if r.n < 16 {
		r.refill()
	}
	if e := h.table[r.bits&(1<<tableBits-1)]; e != 0 {
		l := uint(e & 15)
		r.bits >>= l
		r.n -= l
		return int(e >> 4), nil
	}
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

// checkDeflate decodes src as libmspack's MSZIP decoder would, with an empty
// history, and reports whether it decodes, to exactly want, with only
// complete Huffman codes. out is scratch space.
//
// dict is the history the decoder holds from the previous block (MSZIP keeps
// up to 32 KiB of it); back-references may reach into it.
func checkDeflate(src, want, dict []byte, out []byte, lit, dist *huffman) error {
	r := &bitReader{src: src}
	out = append(out[:0], dict...)
	base := len(dict)
	var lengths [288 + 32]uint8
	for {
		final := r.read(1)
		switch r.read(2) {
		case 0:
			r.bits >>= r.n % 8
			r.n -= r.n % 8
			n := r.read(16)
			if r.read(16) != ^n&0xffff {
				return errDeflate
			}
			if len(out)-base+int(n) > len(want) {
				return errDeflate
			}
			for ; n > 0 && r.n >= 8; n-- {
				out = append(out, byte(r.bits))
				r.bits >>= 8
				r.n -= 8
			}
			if r.pos+int(n) > len(r.src) {
				return errDeflate
			}
			out = append(out, r.src[r.pos:r.pos+int(n)]...)
			r.pos += int(n)
			goto next
		case 1:
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
			if lit.build(lengths[:288]) != nil || dist.build(lengths[288:320]) != nil {
				return errDeflate
			}
		case 2:
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
		for {
			sym, err := lit.decode(r)
			if err != nil {
				return err
			}
			if sym < 256 {
				out = append(out, byte(sym))
				if len(out)-base > len(want) {
					return errDeflate
				}
				continue
			}
			if sym == 256 {
				break
			}
			sym -= 257
			if sym >= 29 {
				return errDeflate
			}
			n := int(lengthBase[sym]) + int(r.read(uint(lengthExtra[sym])))
			d, err := dist.decode(r)
			if err != nil || d >= 30 {
				return errDeflate
			}
			back := int(distBase[d]) + int(r.read(uint(distExtra[d])))
			if back > len(out) || len(out)-base+n > len(want) {
				return errDeflate
			}
			if back >= n { // no overlap: one copy
				from := len(out) - back
				out = append(out, out[from:from+n]...)
				continue
			}
			for k := 0; k < n; k++ { // a run repeating the last back bytes
				out = append(out, out[len(out)-back])
			}
		}
	next:
		if r.overrun() {
			return errDeflate
		}
		if final == 1 {
			break
		}
	}
	if len(out)-base != len(want) || string(out[base:]) != string(want) {
		return errDeflate
	}
	return nil
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
