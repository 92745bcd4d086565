package engine

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// memSource is a Source over bytes whose extents are given.
type memSource struct {
	data    []byte
	extents []Extent
}

func (m *memSource) ReadAt(p []byte, off int64) (int, error) { return copy(p, m.data[off:]), nil }
func (m *memSource) Size() int64                             { return int64(len(m.data)) }
func (m *memSource) DataExtents(context.Context) ([]Extent, error) {
	if m.extents == nil {
		return []Extent{{0, int64(len(m.data))}}, nil
	}
	return m.extents, nil
}

// testImage is 5.5 blocks: data, zeros, data, a repeat of block 0, a
// hole, and a partial data block.
func testImage(t *testing.T) *memSource {
	t.Helper()
	size := 5*BlockSize + BlockSize/2
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, b := range []int{0, 2, 5} {
		for i := b * BlockSize; i < min((b+1)*BlockSize, size); i++ {
			data[i] = byte(rng.Uint32())
		}
	}
	copy(data[3*BlockSize:4*BlockSize], data[:BlockSize])
	return &memSource{data: data, extents: []Extent{{0, 4 * BlockSize}, {5 * BlockSize, BlockSize / 2}}}
}

func wholeSum(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) }

func TestHasherAndBuildAgree(t *testing.T) {
	src := testImage(t)
	h := NewHasher()
	// Uneven writes, and the hole as Skip.
	for off := 0; off < 4*BlockSize; off += 777777 {
		h.Write(src.data[off:min(off+777777, 4*BlockSize)])
	}
	h.Skip(BlockSize)
	h.Write(src.data[5*BlockSize:])
	want := wholeSum(src.data)
	m := h.Finish(want)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if !m.Blocks[1].IsZero() || !m.Blocks[4].IsZero() || m.Blocks[0] != m.Blocks[3] || m.Blocks[0].IsZero() || m.Blocks[5].IsZero() {
		t.Fatalf("unexpected block map: %v", m.Blocks)
	}
	b, err := Build(context.Background(), src, want, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Checksum != want || !equalBlocks(b.Blocks, m.Blocks) {
		t.Fatalf("Build and Hasher differ: %s vs %s", b.Checksum, want)
	}
	if _, err := Build(context.Background(), src, strings.Repeat("0", 128), nil); !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("Build with a wrong checksum: %v", err)
	}
}

func equalBlocks(a, b []BlockSum) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestManifestRoundTripAndDamage(t *testing.T) {
	src := testImage(t)
	m, err := Build(context.Background(), src, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := back.UnmarshalBinary(data); err != nil || back.Checksum != m.Checksum || !equalBlocks(back.Blocks, m.Blocks) {
		t.Fatalf("round trip: %v", err)
	}
	data[len(data)/2] ^= 1
	if err := back.UnmarshalBinary(data); !errors.Is(err, ErrBadManifest) {
		t.Fatalf("a flipped manifest byte: %v", err)
	}
}

func TestCheckNamesFlippedBlocks(t *testing.T) {
	src := testImage(t)
	m, err := Build(context.Background(), src, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if bad, err := Check(context.Background(), src, m, VerifyOptions{}); err != nil || len(bad) != 0 {
		t.Fatalf("intact image: %v %v", bad, err)
	}
	src.data[2*BlockSize+5] ^= 0x40
	src.data[BlockSize+9] = 1 // a zero block that is no longer zero
	bad, err := Check(context.Background(), src, m, VerifyOptions{BytesPerSecond: 1 << 30})
	if err != nil || len(bad) != 2 || bad[0] != BlockSize || bad[1] != 2*BlockSize {
		t.Fatalf("damaged image: %v %v", bad, err)
	}
	e := &DamagedError{ID: CopyID{Name: "img", UUID: "u"}, Disk: "/d", Offsets: bad}
	if !errors.Is(e, ErrDamaged) || !strings.Contains(e.Error(), "blocks 1 (offset 2097152), 2 (offset 4194304)") {
		t.Fatalf("error: %v", e)
	}
}

func TestSumOfIsLonghornsBlockID(t *testing.T) {
	data := bytes.Repeat([]byte("plinth"), 1000)
	full := sha512.Sum512(data)
	if got := SumOf(data).String(); got != hex.EncodeToString(full[:32]) {
		t.Fatalf("SumOf = %s", got)
	}
	if s, err := ParseSum(SumOf(data).String()); err != nil || s != SumOf(data) {
		t.Fatalf("ParseSum: %v", err)
	}
}
