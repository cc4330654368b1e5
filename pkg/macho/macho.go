// Package macho writes Mach-O universal ("fat") files: one file holding
// the programs of several architectures, which macOS runs in the slice of
// the machine's own, as lipo -create makes them. Each slice is the thin
// file's bytes unchanged, at an offset aligned to the architecture's page
// size, so a signature or checksum of a thin binary still holds for its
// slice.
package macho

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sort"
)

// fatMagic starts a universal file whose offsets fit in 32 bits.
const fatMagic = 0xcafebabe

// Slice is one thin Mach-O file.
type Slice struct {
	// Name identifies it in errors (a path, a target).
	Name string
	// Data is the whole file.
	Data []byte
}

// ReadSlice reads the thin Mach-O file at path.
func ReadSlice(path string) (Slice, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Slice{}, fmt.Errorf("macho: %w", err)
	}
	return Slice{Name: path, Data: b}, nil
}

// alignLog2 is the slice alignment lipo uses for a CPU: its page size
// (16 KiB on arm64, 4 KiB elsewhere), as a power of two.
func alignLog2(cpu macho.Cpu) uint32 {
	if cpu == macho.CpuArm64 {
		return 14
	}
	return 12
}

// WriteFat writes a universal file holding the slices, ordered by
// alignment then CPU type (x86_64 before arm64, as lipo orders them). Each
// must be a thin 32- or 64-bit Mach-O file, of an architecture no other
// slice has.
func WriteFat(w io.Writer, slices ...Slice) error {
	if len(slices) == 0 {
		return fmt.Errorf("macho: no slices")
	}
	type entry struct {
		Slice
		cpu    macho.Cpu
		sub    uint32
		align  uint32
		offset uint32
	}
	var es []entry
	seen := map[macho.Cpu]string{}
	for _, s := range slices {
		f, err := macho.NewFile(bytes.NewReader(s.Data))
		if err != nil {
			return fmt.Errorf("macho: %s is no thin Mach-O file: %w", s.Name, err)
		}
		cpu, sub := f.Cpu, f.SubCpu
		f.Close()
		if other, dup := seen[cpu]; dup {
			return fmt.Errorf("macho: %s and %s are both %v", other, s.Name, cpu)
		}
		seen[cpu] = s.Name
		es = append(es, entry{Slice: s, cpu: cpu, sub: sub, align: alignLog2(cpu)})
	}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].align != es[j].align {
			return es[i].align < es[j].align
		}
		return es[i].cpu < es[j].cpu
	})
	// The header, then each slice at the next multiple of its alignment.
	off := uint64(8 + 20*len(es))
	for i := range es {
		a := uint64(1) << es[i].align
		off = (off + a - 1) &^ (a - 1)
		if off+uint64(len(es[i].Data)) > 1<<32-1 {
			return fmt.Errorf("macho: %s would end past 4 GiB, which a 32-bit universal header cannot address", es[i].Name)
		}
		es[i].offset = uint32(off)
		off += uint64(len(es[i].Data))
	}
	be := binary.BigEndian
	hdr := be.AppendUint32(nil, fatMagic)
	hdr = be.AppendUint32(hdr, uint32(len(es)))
	for _, e := range es {
		hdr = be.AppendUint32(hdr, uint32(e.cpu))
		hdr = be.AppendUint32(hdr, e.sub)
		hdr = be.AppendUint32(hdr, e.offset)
		hdr = be.AppendUint32(hdr, uint32(len(e.Data)))
		hdr = be.AppendUint32(hdr, e.align)
	}
	pos := uint64(len(hdr))
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("macho: %w", err)
	}
	for _, e := range es {
		if pad := uint64(e.offset) - pos; pad > 0 {
			if _, err := w.Write(make([]byte, pad)); err != nil {
				return fmt.Errorf("macho: %w", err)
			}
		}
		if _, err := w.Write(e.Data); err != nil {
			return fmt.Errorf("macho: %w", err)
		}
		pos = uint64(e.offset) + uint64(len(e.Data))
	}
	return nil
}
