package backupstore

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

// Head returns the first n bytes of backup name's image (fewer if the
// image is smaller), read from its first block and verified against the
// block's ID; a hole reads as zeros. It lets a caller see the image's
// format (raw or qcow2) before choosing how to restore it. The backup must
// be complete.
func (s *Store) Head(ctx context.Context, name string, n int) ([]byte, error) {
	cfg, err := s.loadComplete(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read the start of backup %q: %w", name, err)
	}
	n = int(min(int64(n), int64(cfg.Size)))
	out := make([]byte, n)
	if len(cfg.Blocks) == 0 || cfg.Blocks[0].Offset != 0 {
		return out, nil // the image starts with a hole
	}
	ref := cfg.Blocks[0]
	key := format.BlockKey(ref.BlockChecksum)
	payload, err := s.tgt.Get(ctx, key)
	if err != nil {
		return nil, &BlockError{Key: key, Offset: 0, Err: err}
	}
	buf := make([]byte, blockLimit(cfg.Blocks, 0, int64(cfg.Size)))
	data, _, err := blockcodec.NewDecoder().DecodeVerified(buf, payload, ref.BlockChecksum, cfg.Compression())
	if err != nil {
		return nil, &BlockError{Key: key, Offset: 0, Err: err}
	}
	copy(out, data)
	return out, nil
}
