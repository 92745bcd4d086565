package engine

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// BlockSize is the manifest's block: Longhorn's backup block, 2 MiB. The
// block at index i covers [i*BlockSize, min((i+1)*BlockSize, Size)).
const BlockSize = 2 << 20

// IDLen is the length of a block ID in bytes: the first 32 bytes of the
// block's SHA-512, which is Longhorn's block ID (64 hex digits).
const IDLen = 32

// BlockSum is one block's ID. The zero value means a zero block: a hole or
// all zeros, which a backup leaves out and a restore leaves unwritten.
type BlockSum [IDLen]byte

// SumOf returns the ID of data (a block with at least one non-zero byte).
func SumOf(data []byte) BlockSum {
	full := sha512.Sum512(data)
	var s BlockSum
	copy(s[:], full[:IDLen])
	return s
}

// ParseSum parses a block ID of 64 hex digits.
func ParseSum(id string) (BlockSum, error) {
	var s BlockSum
	if len(id) != 2*IDLen {
		return s, fmt.Errorf("block ID %q is not %d hex digits", id, 2*IDLen)
	}
	if _, err := hex.Decode(s[:], []byte(id)); err != nil {
		return s, fmt.Errorf("block ID %q: %w", id, err)
	}
	return s, nil
}

// IsZero reports whether the block is a zero block.
func (s BlockSum) IsZero() bool { return s == BlockSum{} }

// String is the block ID in lowercase hex ("" for a zero block).
func (s BlockSum) String() string {
	if s.IsZero() {
		return ""
	}
	return hex.EncodeToString(s[:])
}

// Manifest is the block map of a copy's content: the ID of every
// BlockSize block, or that it is a zero block, and the whole content's
// SHA-512. A copy is immutable, so its manifest is a property of the copy.
type Manifest struct {
	// Size is the content's length in bytes.
	Size int64
	// Checksum is the whole content's SHA-512 in lowercase hex.
	Checksum string
	// Blocks has one entry per block: ceil(Size / BlockSize) of them.
	Blocks []BlockSum
}

// NumBlocks is the number of blocks of an image of size bytes.
func NumBlocks(size int64) int { return int((size + BlockSize - 1) / BlockSize) }

// BlockLen is the length of block i of an image of size bytes.
func BlockLen(i int, size int64) int { return int(min(BlockSize, size-int64(i)*BlockSize)) }

// NewManifest returns a manifest of size bytes in which every block is a
// zero block, to be filled in with Set.
func NewManifest(size int64, checksum string) *Manifest {
	return &Manifest{Size: size, Checksum: checksum, Blocks: make([]BlockSum, NumBlocks(size))}
}

// Validate checks the manifest's shape: block count matching Size and a
// 128-hex-digit checksum.
func (m *Manifest) Validate() error {
	if m.Size < 0 || len(m.Blocks) != NumBlocks(m.Size) {
		return fmt.Errorf("manifest of %d bytes has %d blocks, want %d", m.Size, len(m.Blocks), NumBlocks(m.Size))
	}
	if b, err := hex.DecodeString(m.Checksum); err != nil || len(b) != sha512.Size {
		return fmt.Errorf("manifest checksum %q is not a SHA-512 in hex", m.Checksum)
	}
	return nil
}

// DataBlocks counts the blocks that are not zero blocks.
func (m *Manifest) DataBlocks() int {
	n := 0
	for _, b := range m.Blocks {
		if !b.IsZero() {
			n++
		}
	}
	return n
}

const (
	manifestMagic   = "PLINTHMF"
	manifestVersion = 1
	headerLen       = 8 + 4 + 4 + 8 + sha512.Size + 4
)

// ErrBadManifest is wrapped when stored manifest bytes cannot be decoded.
var ErrBadManifest = errors.New("manifest is unreadable")

// MarshalBinary encodes the manifest: a fixed header (magic, version,
// block size, content size, checksum, block count), the block IDs, and a
// SHA-256 of all of it, so a damaged manifest is detected, not trusted.
func (m *Manifest) MarshalBinary() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(headerLen + len(m.Blocks)*IDLen + sha256.Size)
	buf.WriteString(manifestMagic)
	sum, _ := hex.DecodeString(m.Checksum)
	var hdr [4 + 4 + 8]byte
	binary.LittleEndian.PutUint32(hdr[0:], manifestVersion)
	binary.LittleEndian.PutUint32(hdr[4:], BlockSize)
	binary.LittleEndian.PutUint64(hdr[8:], uint64(m.Size))
	buf.Write(hdr[:])
	buf.Write(sum)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(m.Blocks)))
	buf.Write(n[:])
	for _, b := range m.Blocks {
		buf.Write(b[:])
	}
	tail := sha256.Sum256(buf.Bytes())
	buf.Write(tail[:])
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes what MarshalBinary wrote; anything else fails
// with an error wrapping ErrBadManifest.
func (m *Manifest) UnmarshalBinary(data []byte) error {
	if len(data) < headerLen+sha256.Size || string(data[:8]) != manifestMagic {
		return fmt.Errorf("%w: not a plinth manifest", ErrBadManifest)
	}
	body, tail := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], tail) {
		return fmt.Errorf("%w: its own checksum does not match", ErrBadManifest)
	}
	if v := binary.LittleEndian.Uint32(body[8:]); v != manifestVersion {
		return fmt.Errorf("%w: version %d is not supported", ErrBadManifest, v)
	}
	if bs := binary.LittleEndian.Uint32(body[12:]); bs != BlockSize {
		return fmt.Errorf("%w: block size %d, want %d", ErrBadManifest, bs, BlockSize)
	}
	size := int64(binary.LittleEndian.Uint64(body[16:]))
	checksum := hex.EncodeToString(body[24 : 24+sha512.Size])
	n := int(binary.LittleEndian.Uint32(body[24+sha512.Size:]))
	ids := body[headerLen:]
	if size < 0 || n != NumBlocks(size) || len(ids) != n*IDLen {
		return fmt.Errorf("%w: %d blocks do not fit %d bytes", ErrBadManifest, n, size)
	}
	out := Manifest{Size: size, Checksum: checksum, Blocks: make([]BlockSum, n)}
	for i := range out.Blocks {
		copy(out.Blocks[i][:], ids[i*IDLen:])
	}
	*m = out
	return nil
}
