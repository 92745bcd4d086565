package backupstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/engine"
)

// ErrNoBlock means a backup's cfg lists no block at the requested offset:
// the image reads as zeros there (a hole or a zero block).
var ErrNoBlock = errors.New("the backup has no block there: it is a zero block")

// ReadBlock returns the decoded bytes of the block at offset (a multiple
// of the block size) in complete backup backupName, verified against its
// ID: what an in-place repair of a damaged copy writes. The result is the
// image's bytes of that block, engine.BlockLen long (shorter for the last
// block of an image; a block a foreign writer stored short in the middle
// is padded with the zeros the image has after it). It fails with an error wrapping ErrNoBlock when the cfg
// has no block at offset (the copy must read as zeros there), ErrNotFound
// or ErrInProgress for a missing or incomplete backup, and a *BlockError
// when the block is missing from the pool or does not match its ID.
func (s *Store) ReadBlock(ctx context.Context, backupName string, offset int64) ([]byte, error) {
	var out []byte
	_, err := s.withLock(ctx, lock.Restore, func(ctx context.Context) error {
		var err error
		out, err = s.readBlockLocked(ctx, backupName, offset)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the block at offset %d of backup %q: %w", offset, backupName, err)
	}
	return out, nil
}

func (s *Store) readBlockLocked(ctx context.Context, name string, offset int64) ([]byte, error) {
	cfg, err := s.loadComplete(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := validateBlocks(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", format.ConfigKey(name), err)
	}
	size := int64(cfg.Size)
	if offset < 0 || offset%engine.BlockSize != 0 || offset >= size {
		return nil, fmt.Errorf("offset %d is not a block of the %d-byte image (blocks are %d bytes)", offset, size, engine.BlockSize)
	}
	i, found := slices.BinarySearchFunc(cfg.Blocks, offset, func(b format.BlockRef, off int64) int {
		return cmp.Compare(b.Offset, off)
	})
	if !found {
		return nil, ErrNoBlock
	}
	ref := cfg.Blocks[i]
	key := format.BlockKey(ref.BlockChecksum)
	payload, err := s.tgt.Get(ctx, key)
	if err != nil {
		return nil, &BlockError{Key: key, Offset: offset, Err: err}
	}
	buf := make([]byte, 0, blockLimit(cfg.Blocks, i, size))
	data, _, err := blockcodec.NewDecoder().DecodeVerified(buf, payload, ref.BlockChecksum, cfg.Compression())
	if err != nil {
		return nil, &BlockError{Key: key, Offset: offset, Err: err}
	}
	if n := engine.BlockLen(int(offset/engine.BlockSize), size); len(data) < n {
		data = append(data, make([]byte, n-len(data))...) // the zeros the image has after a short block
	}
	return data, nil
}
