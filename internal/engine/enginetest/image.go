package enginetest

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"math/rand/v2"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Image returns a raw image of blocks whole blocks plus half a block, in
// which block 1 is all zeros, block 3 (if any) repeats block 0 and every
// other block is random data from seed. The first byte is never the qcow2
// magic.
func Image(seed uint64, blocks int) []byte {
	size := blocks*engine.BlockSize + engine.BlockSize/2
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range data {
		if i/engine.BlockSize != 1 {
			data[i] = byte(rng.Uint32())
		}
	}
	data[0] = 'p'
	if blocks > 3 {
		copy(data[3*engine.BlockSize:4*engine.BlockSize], data[:engine.BlockSize])
	}
	return data
}

// Checksum is the SHA-512 of data in lowercase hex.
func Checksum(data []byte) string {
	s := sha512.Sum512(data)
	return hex.EncodeToString(s[:])
}

// ManifestOf hashes data into its manifest.
func ManifestOf(data []byte) *engine.Manifest {
	m, err := engine.Build(context.Background(), byteSource{bytes.NewReader(data)}, "", nil)
	if err != nil {
		panic(err) // reading memory cannot fail
	}
	return m
}

// Backup is an engine.BackupReader over an image in memory: Restore writes
// its non-zero blocks and reports Restored (Manifest may be nil, to make
// the engine hash the content itself). Err, if set, fails Restore after
// the writes, as a block that did not match its ID would.
type Backup struct {
	Data     []byte
	Restored engine.Restored
	Err      error
}

var _ engine.BackupReader = (*Backup)(nil)

// Restore implements engine.BackupReader.
func (b *Backup) Restore(ctx context.Context, s engine.Sink, progress func(done, total int64)) (engine.Restored, error) {
	size := int64(len(b.Data))
	if err := s.Prepare(size); err != nil {
		return engine.Restored{}, err
	}
	for i := range engine.NumBlocks(size) {
		if err := ctx.Err(); err != nil {
			return engine.Restored{}, err
		}
		off := int64(i) * engine.BlockSize
		blk := b.Data[off : off+int64(engine.BlockLen(i, size))]
		if !engine.AllZero(blk) {
			if _, err := s.WriteAt(blk, off); err != nil {
				return engine.Restored{}, err
			}
		}
		if progress != nil {
			progress(off+int64(len(blk)), size)
		}
	}
	if b.Err != nil {
		return engine.Restored{}, b.Err
	}
	if err := s.Sync(); err != nil {
		return engine.Restored{}, err
	}
	return b.Restored, nil
}

// Format implements engine.BackupReader.
func (b *Backup) Format(context.Context) (imagefmt.Format, error) {
	info, err := imagefmt.CheckHeader(b.Data[:min(len(b.Data), 2<<20)], imagefmt.Limits{})
	return info.Format, err
}
