// Package benchvs runs plinth and restic side by side on the same generated
// image and the same versitygw S3 server, and reports the timings, peak
// memory and ratios that issue 11's goals are stated in. cmd/plinth-bench
// is its thin main; scripts/bench-vs-restic installs what it needs.
package benchvs

import (
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// BlockSize is the block the image is laid out in (Longhorn's 2 MiB).
const BlockSize = 2 << 20

// Layout is the shape of a generated image: Blocks blocks of BlockSize, of
// which the HoleStart..HoleStart+HoleBlocks range is a hole (never written)
// and every other block holds one of Distinct random blocks.
type Layout struct {
	Size       int64
	Blocks     int
	HoleStart  int
	HoleBlocks int
	Distinct   int
}

// LayoutFor scales the 1 GiB image (384 data blocks of which 130
// are distinct, and a 256 MiB hole) to size. size must be a positive
// multiple of 4 blocks (8 MiB); anything else is an error saying so.
func LayoutFor(size int64) (Layout, error) {
	if size <= 0 || size%(4*BlockSize) != 0 {
		return Layout{}, fmt.Errorf("image size %d is not a positive multiple of 8 MiB: use e.g. 1GiB or 8GiB", size)
	}
	n := int(size / BlockSize)
	hole := n / 4
	data := n - hole
	distinct := max(1, (data*130+383)/384)
	// The hole sits in the middle, so the image has data on both sides.
	return Layout{Size: size, Blocks: n, HoleStart: data / 2, HoleBlocks: hole, Distinct: distinct}, nil
}

// DataBlocks is the number of blocks that hold data.
func (l Layout) DataBlocks() int { return l.Blocks - l.HoleBlocks }

// InHole reports whether block index b is in the hole.
func (l Layout) InHole(b int) bool { return b >= l.HoleStart && b < l.HoleStart+l.HoleBlocks }

// DistinctOf returns which distinct block fills block index b (b not in the
// hole): data blocks cycle through the distinct ones in order.
func (l Layout) DistinctOf(b int) int {
	i := b
	if b >= l.HoleStart+l.HoleBlocks {
		i = b - l.HoleBlocks
	}
	return i % l.Distinct
}

// fillBlock writes distinct block d's content (random bytes from a seed
// derived from d, so the same d always gives the same bytes) into buf.
func fillBlock(buf []byte, d int) {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(d)+0x9e3779b97f4a7c15)
	rng := rand.NewChaCha8(seed)
	_, _ = rng.Read(buf) // ChaCha8.Read never fails
}

// Generate writes the image of layout l to path (created or truncated; the
// hole stays sparse) and returns its SHA-512 in hex. Each distinct block is
// generated once and written at every offset that uses it.
func Generate(path string, l Layout) (string, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return "", fmt.Errorf("create image %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Truncate(l.Size); err != nil {
		return "", fmt.Errorf("size image %s to %d bytes: %w", path, l.Size, err)
	}
	uses := make([][]int, l.Distinct)
	for b := range l.Blocks {
		if !l.InHole(b) {
			d := l.DistinctOf(b)
			uses[d] = append(uses[d], b)
		}
	}
	buf := make([]byte, BlockSize)
	for d, blocks := range uses {
		fillBlock(buf, d)
		for _, b := range blocks {
			if _, err := f.WriteAt(buf, int64(b)*BlockSize); err != nil {
				return "", fmt.Errorf("write block %d of image %s: %w", b, path, err)
			}
		}
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close image %s: %w", path, err)
	}
	return FileSHA512(path)
}

// FileSHA512 returns the hex SHA-512 of the file at path.
func FileSHA512(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s to hash it: %w", path, err)
	}
	defer f.Close()
	h := sha512.New()
	if _, err := f.WriteTo(h); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ParseSize reads a size such as "1GiB", "8GiB", "512MiB" or a plain byte
// count.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("size %q: want a positive whole number with GiB, MiB or KiB, e.g. 1GiB", s)
		}
		return n * u.mult, nil
	}
	return 0, fmt.Errorf("size %q: want e.g. 1GiB", s)
}
