package imagefmt

import (
	"encoding/binary"
	"fmt"
	"io"
)

const (
	offsetMask        = 0x00fffffffffffe00 // host offset bits 9-55 of L1, L2 and refcount entries
	l2Compressed      = 1 << 62
	snapshotHeaderLen = 40
	maxSnapshotTable  = 64 << 20 // QEMU's QCOW_MAX_SNAPSHOTS_SIZE
)

// tableCheck verifies that every table a qcow2 image's header points at,
// and every cluster its active L1/L2 tables map, lies inside the file.
type tableCheck struct {
	r    io.ReaderAt
	size int64
	h    *qcow2Header
}

func (t *tableCheck) run(exts qcow2Exts) error {
	h := t.h
	if exts.hasBitmapTable {
		if err := t.inFile("the bitmap directory", exts.bitmapsOffset, exts.bitmapsSize); err != nil {
			return err
		}
	}
	if err := t.refcounts(); err != nil {
		return err
	}
	if err := t.snapshots(); err != nil {
		return err
	}
	perL1 := uint64(h.clusterSize()) * uint64(h.clusterSize()/h.l2EntrySize())
	if need := (h.size + perL1 - 1) / perL1; uint64(h.l1Size) < need || h.l1Size > maxL1Entries {
		return corrupt("the L1 table has %d entries; the virtual size %d needs %d (at most %d)",
			h.l1Size, h.size, need, maxL1Entries)
	}
	return t.mapping(h.l1Offset, h.l1Size)
}

// inFile checks that length bytes at off lie inside the file, after the
// header cluster, starting on a cluster boundary. Nothing to check when
// length is 0.
func (t *tableCheck) inFile(what string, off, length uint64) error {
	if length == 0 {
		return nil
	}
	cs := uint64(t.h.clusterSize())
	end := off + length
	switch {
	case off%cs != 0:
		return corrupt("%s at byte %d is not aligned to the cluster size %d", what, off, cs)
	case off < cs:
		return corrupt("%s at byte %d overlaps the header cluster", what, off)
	case end < off || end > uint64(t.size):
		return corrupt("%s (%d bytes at byte %d) lies outside the file of %d bytes; the file may be truncated",
			what, length, off, t.size)
	}
	return nil
}

// read reads n bytes at off, which inFile has checked.
func (t *tableCheck) read(off, n uint64) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := t.r.ReadAt(buf, int64(off)); err != nil {
		return nil, fmt.Errorf("read qcow2 metadata at byte %d: %w", off, err)
	}
	return buf, nil
}

// refcounts checks the refcount table and every refcount block it names.
func (t *tableCheck) refcounts() error {
	h := t.h
	if h.refcountCl == 0 {
		return corrupt("the image has no refcount table")
	}
	length := uint64(h.refcountCl) * uint64(h.clusterSize())
	if err := t.inFile("the refcount table", h.refcountOffset, length); err != nil {
		return err
	}
	table, err := t.read(h.refcountOffset, length)
	if err != nil {
		return err
	}
	for i := 0; i+8 <= len(table); i += 8 {
		off := binary.BigEndian.Uint64(table[i:]) & offsetMask
		if off == 0 {
			continue
		}
		if err := t.inFile(fmt.Sprintf("refcount block %d", i/8), off, uint64(h.clusterSize())); err != nil {
			return err
		}
	}
	return nil
}

// snapshots checks the snapshot table and each snapshot's L1 table.
func (t *tableCheck) snapshots() error {
	h := t.h
	if h.nbSnapshots == 0 {
		return nil
	}
	if h.nbSnapshots > maxSnapshots {
		return corrupt("the image claims %d internal snapshots, more than %d", h.nbSnapshots, maxSnapshots)
	}
	if err := t.inFile("the snapshot table", h.snapshotsOff, snapshotHeaderLen); err != nil {
		return err
	}
	off := h.snapshotsOff
	for i := range h.nbSnapshots {
		what := fmt.Sprintf("snapshot %d's entry", i)
		if off+snapshotHeaderLen > uint64(t.size) || off-h.snapshotsOff > maxSnapshotTable {
			return corrupt("%s at byte %d lies outside the file of %d bytes", what, off, t.size)
		}
		e, err := t.read(off, snapshotHeaderLen)
		if err != nil {
			return err
		}
		be := binary.BigEndian
		l1Off, l1Size := be.Uint64(e[0:]), uint64(be.Uint32(e[8:]))
		if l1Size > maxL1Entries {
			return corrupt("%s has an L1 table of %d entries, more than %d", what, l1Size, maxL1Entries)
		}
		if err := t.inFile(fmt.Sprintf("snapshot %d's L1 table", i), l1Off, l1Size*8); err != nil {
			return err
		}
		extra := uint64(be.Uint32(e[36:])) + uint64(be.Uint16(e[12:])) + uint64(be.Uint16(e[14:]))
		off += (snapshotHeaderLen + extra + 7) &^ 7
	}
	if off > uint64(t.size) {
		return corrupt("the snapshot table ends at byte %d, past the end of the file (%d bytes)", off, t.size)
	}
	return nil
}

// mapping checks the active L1 table, every L2 table it names and every
// cluster those map.
func (t *tableCheck) mapping(l1Off uint64, l1Size uint32) error {
	if err := t.inFile("the L1 table", l1Off, uint64(l1Size)*8); err != nil {
		return err
	}
	if l1Size == 0 {
		return nil
	}
	l1, err := t.read(l1Off, uint64(l1Size)*8)
	if err != nil {
		return err
	}
	cs := uint64(t.h.clusterSize())
	// Each L2 table is read once: an active L1 naming one table twice is
	// corrupt (and would make this check read the file many times over).
	seen := make(map[uint64]int)
	for i := 0; i < len(l1); i += 8 {
		l2Off := binary.BigEndian.Uint64(l1[i:]) & offsetMask
		if l2Off == 0 {
			continue
		}
		if first, dup := seen[l2Off]; dup {
			return corrupt("L1 entries %d and %d name the same L2 table at byte %d", first, i/8, l2Off)
		}
		seen[l2Off] = i / 8
		if err := t.inFile(fmt.Sprintf("L2 table %d", i/8), l2Off, cs); err != nil {
			return err
		}
		if err := t.l2(i/8, l2Off); err != nil {
			return err
		}
	}
	return nil
}

// l2 checks that every cluster the L2 table at off maps lies in the file.
func (t *tableCheck) l2(index int, off uint64) error {
	cs := uint64(t.h.clusterSize())
	table, err := t.read(off, cs)
	if err != nil {
		return err
	}
	stride := int(t.h.l2EntrySize())
	offBits := 62 - (t.h.clusterBits - 8) // compressed cluster descriptor's offset bits
	for j := 0; j+stride <= len(table); j += stride {
		e := binary.BigEndian.Uint64(table[j:])
		if e&l2Compressed != 0 {
			host := e & (1<<offBits - 1)
			if host < cs || host >= uint64(t.size) {
				return corrupt("L2 table %d maps compressed data at byte %d, outside the file of %d bytes past its header",
					index, host, t.size)
			}
			continue
		}
		host := e & offsetMask
		if host == 0 {
			continue
		}
		// With extended L2 entries a cluster is written by subclusters,
		// so the file may end inside the last one.
		length := cs
		if stride == 16 {
			length = 1
		}
		if err := t.inFile(fmt.Sprintf("the data cluster that L2 table %d maps", index), host, length); err != nil {
			return err
		}
	}
	return nil
}
