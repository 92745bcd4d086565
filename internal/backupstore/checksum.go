package backupstore

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

// ImageChecksum returns the SHA-512 hex of the whole image src, reading
// only its data extents (holes are hashed as zeros without being read).
// It is what Backup stores as Checksum, and the floor any backup's speed
// is measured against.
func ImageChecksum(ctx context.Context, src Source) (string, error) {
	extents, err := src.DataExtents(ctx)
	if err != nil {
		return "", fmt.Errorf("find data extents: %w", err)
	}
	sum := sha512.New()
	buf := make([]byte, format.BlockSize)
	size := src.Size()
	pos := int64(0)
	zeros := func(n int64) {
		for n > 0 {
			k := min(n, int64(len(zeroBlock)))
			sum.Write(zeroBlock[:k])
			n -= k
		}
	}
	windowsOf(extents, size, func(idx int64) bool {
		if err = ctx.Err(); err != nil {
			return false
		}
		off := idx * format.BlockSize
		zeros(off - pos)
		data := buf[:windowLen(idx, size)]
		if _, err = src.ReadAt(data, off); err != nil {
			err = fmt.Errorf("read at offset %d: %w", off, err)
			return false
		}
		sum.Write(data)
		pos = off + int64(len(data))
		return true
	})
	if err != nil {
		return "", err
	}
	zeros(size - pos)
	return hex.EncodeToString(sum.Sum(nil)), nil
}
