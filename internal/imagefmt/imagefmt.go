// Package imagefmt recognises the disk image formats plinth stores (raw and
// qcow2) and judges whether a qcow2 image is safe to store and to hand to
// qemu-img, without running qemu-img.
//
// Longhorn asks `qemu-img info` for every file; plinth reads the qcow2 header
// itself: Detect costs one 32-byte read and never a child process, and
// Check parses the whole header, its extensions and tables (see Check).
// Anything that is not qcow2 is treated as raw, whose virtual size is its size.
package imagefmt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Format names an image format the way backing.cfg and the API spell it.
type Format string

const (
	// Raw is a plain disk image: byte N of the file is byte N of the disk.
	Raw Format = "raw"
	// Qcow2 is QEMU's copy-on-write format, stored as received on v1 disks.
	Qcow2 Format = "qcow2"
)

// HeaderSize is how many leading bytes Detect needs to recognise every
// supported format and read its virtual size.
const HeaderSize = 32

// qcow2Magic is "QFI\xfb", the first four bytes of every qcow2 file.
var qcow2Magic = []byte{'Q', 'F', 'I', 0xfb}

// ErrRefused reports an image plinth will not store because it is unsafe or
// malformed: a qcow2 with a backing file, an external data file, encryption,
// an unknown incompatible feature, tables outside the file, or a virtual
// size above the configured limit. The API answers 422 for it; a copy that
// meets it fails with the reason. ErrCorrupt errors also match ErrRefused.
var ErrRefused = errors.New("image refused")

// ErrCorrupt reports a file that claims a format (by its magic) but whose
// header or tables cannot be valid for it. It wraps ErrRefused, so
// errors.Is(err, ErrRefused) holds for every ErrCorrupt.
var ErrCorrupt = fmt.Errorf("corrupt image header: %w", ErrRefused)

// Info is what the header tells about an image.
type Info struct {
	Format Format
	// VirtualSize is the size of the disk the guest sees, in bytes.
	VirtualSize int64
	// HasBackingFile is true for a qcow2 that refers to another file for
	// its unallocated clusters; such an image is incomplete on its own.
	HasBackingFile bool
}

// Detect recognises the format from header (the file's first bytes; at
// least HeaderSize of them unless the file is shorter) and size (the file's
// length). A short or unrecognised header is raw; a qcow2 magic with an
// impossible header is an ErrCorrupt.
func Detect(header []byte, size int64) (Info, error) {
	if len(header) < len(qcow2Magic) || string(header[:4]) != string(qcow2Magic) {
		return Info{Format: Raw, VirtualSize: size}, nil
	}
	if len(header) < HeaderSize {
		return Info{}, fmt.Errorf("qcow2 header is %d bytes, need %d: %w", len(header), HeaderSize, ErrCorrupt)
	}
	version := binary.BigEndian.Uint32(header[4:8])
	if version != 2 && version != 3 {
		return Info{}, fmt.Errorf("qcow2 version %d is not 2 or 3: %w", version, ErrCorrupt)
	}
	virtual := binary.BigEndian.Uint64(header[24:32])
	if virtual > 1<<62 {
		return Info{}, fmt.Errorf("qcow2 virtual size %d is out of range: %w", virtual, ErrCorrupt)
	}
	backingOffset := binary.BigEndian.Uint64(header[8:16])
	return Info{Format: Qcow2, VirtualSize: int64(virtual), HasBackingFile: backingOffset != 0}, nil
}

// DetectReader reads the header of an image of the given size from r and
// calls Detect.
func DetectReader(r io.ReaderAt, size int64) (Info, error) {
	header := make([]byte, HeaderSize)
	n, err := r.ReadAt(header, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Info{}, fmt.Errorf("read image header: %w", err)
	}
	return Detect(header[:n], size)
}
