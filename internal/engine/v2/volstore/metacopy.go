package volstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// CopyStatus describes one of the two metadata areas.
type CopyStatus struct {
	Offset     int64  // byte offset of the area on the disk
	Valid      bool   // header and checksum are good
	Generation uint64 // generation recorded in the header (when readable)
	InUse      bool   // this copy is the one the store is opened from
	Problem    string // why the copy is not valid
}

// writeCopy writes payload as generation gen into metadata area `area`.
// One pwrite covers header and payload; the caller fsyncs. The checksum
// covers both, so a torn write of either fails verification.
func writeCopy(w io.WriterAt, sb *superblock, area int, gen uint64, payload []byte) error {
	if uint64(len(payload)) > sb.metaSize-metaHeaderSize {
		return fmt.Errorf("metadata of %d bytes exceeds its %d-byte area", len(payload), sb.metaSize-metaHeaderSize)
	}
	b := make([]byte, metaHeaderSize+len(payload))
	le := binary.LittleEndian
	copy(b[0:8], metaMagic[:])
	copy(b[8:24], sb.uuid[:])
	le.PutUint64(b[24:], gen)
	le.PutUint64(b[32:], uint64(len(payload)))
	copy(b[metaHeaderSize:], payload)
	crc := crc32.Update(crc32.Checksum(b[:40], castagnoli), castagnoli, payload)
	le.PutUint32(b[40:], crc)
	if _, err := w.WriteAt(b, int64(sb.metaOffset[area])); err != nil {
		return fmt.Errorf("write metadata copy %s generation %d: %w", areaName(area), gen, err)
	}
	return nil
}

// errCopy marks a metadata copy that is not valid; the message says why.
var errCopy = errors.New("metadata copy not valid")

// readCopy reads and verifies metadata area `area`. The generation is
// returned whenever the header could be read, even if the copy is invalid,
// so a report can say which generation was torn.
func readCopy(r io.ReaderAt, sb *superblock, area int) (gen uint64, payload []byte, err error) {
	off := int64(sb.metaOffset[area])
	h := make([]byte, metaHeaderSize)
	if _, err := r.ReadAt(h, off); err != nil {
		return 0, nil, fmt.Errorf("read metadata header at %d: %w", off, err)
	}
	le := binary.LittleEndian
	if !bytes.Equal(h[0:8], metaMagic[:]) {
		if allZero(h) {
			return 0, nil, fmt.Errorf("%w: never written", errCopy)
		}
		return 0, nil, fmt.Errorf("%w: no metadata signature (overwritten or torn header)", errCopy)
	}
	gen = le.Uint64(h[24:])
	if !bytes.Equal(h[8:24], sb.uuid[:]) {
		return gen, nil, fmt.Errorf("%w: belongs to another store (left over from an earlier format)", errCopy)
	}
	n := le.Uint64(h[32:])
	if n > sb.metaSize-metaHeaderSize {
		return gen, nil, fmt.Errorf("%w: payload length %d exceeds the area", errCopy, n)
	}
	payload = make([]byte, n)
	if _, err := r.ReadAt(payload, off+metaHeaderSize); err != nil {
		return gen, nil, fmt.Errorf("read metadata payload at %d: %w", off+metaHeaderSize, err)
	}
	crc := crc32.Update(crc32.Checksum(h[:40], castagnoli), castagnoli, payload)
	if crc != le.Uint32(h[40:]) {
		return gen, nil, fmt.Errorf("%w: checksum mismatch (a torn or interrupted commit, or corruption)", errCopy)
	}
	return gen, payload, nil
}

// pickCopy reads both areas and returns the index of the valid copy with
// the highest generation (-1 if neither is valid), its payload, and the
// status of both. I/O errors abort; invalid copies do not.
func pickCopy(r io.ReaderAt, sb *superblock) (int, []byte, [2]CopyStatus, error) {
	var st [2]CopyStatus
	var payloads [2][]byte
	best := -1
	for a := 0; a < 2; a++ {
		st[a].Offset = int64(sb.metaOffset[a])
		gen, p, err := readCopy(r, sb, a)
		st[a].Generation = gen
		switch {
		case errors.Is(err, errCopy):
			st[a].Problem = err.Error()
		case err != nil:
			return -1, nil, st, err
		default:
			st[a].Valid, payloads[a] = true, p
			if best < 0 || gen > st[best].Generation {
				best = a
			}
		}
	}
	if best >= 0 {
		st[best].InUse = true
		return best, payloads[best], st, nil
	}
	return -1, nil, st, nil
}

func areaName(area int) string { return string(rune('A' + area)) }

// zeroPage is compared against to detect all-zero data at memcmp speed.
var zeroPage [64 << 10]byte

// allZero reports whether every byte of b is zero.
func allZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeroPage))
		if !bytes.Equal(b[:n], zeroPage[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
