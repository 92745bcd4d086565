package backupstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
)

// RestoreOptions tune a restore.
type RestoreOptions struct {
	// Concurrency is the number of blocks downloaded at once; 0 means the
	// Store's default.
	Concurrency int
	// RetryFor is how long a block download that keeps failing with
	// transient errors is retried (with exponential backoff) before the
	// restore fails; 0 means only the target's own retries. Blocks already
	// restored are never fetched again, so an outage shorter than this
	// costs only its own length.
	RetryFor time.Duration
}

// RestoreResult describes a finished restore.
type RestoreResult struct {
	Config *format.Config
	// Checksum is the SHA-512 hex of the restored image.
	Checksum string
	// ChecksumVerified is true when the cfg's Checksum is a SHA-512 and
	// equals Checksum. A foreign cfg may hold another kind of checksum;
	// then every block is still verified but the image as a whole is not.
	ChecksumVerified bool
	Blocks           int64 // blocks downloaded and verified
	LockWait         time.Duration
	Duration         time.Duration
}

// Restore writes backup name into sink: it sizes the sink (holes stay
// zero), downloads blocks concurrently, verifies each against its ID,
// checks the whole image against the cfg's Checksum, and syncs the sink.
// Any failure returns an error (a *BlockError names a bad block) and the
// caller must treat the sink's content as garbage.
func (s *Store) Restore(ctx context.Context, name string, sink Sink, opts RestoreOptions, progress ProgressFunc) (RestoreResult, error) {
	start := time.Now()
	var res RestoreResult
	waited, err := s.withLock(ctx, lock.Restore, func(ctx context.Context) error {
		return s.restoreLocked(ctx, name, sink, opts, progress, &res)
	})
	res.LockWait, res.Duration = waited, time.Since(start)
	if err != nil {
		return res, fmt.Errorf("restore backup %q: %w", name, err)
	}
	return res, nil
}

func (s *Store) restoreLocked(ctx context.Context, name string, sink Sink, opts RestoreOptions, progress ProgressFunc, res *RestoreResult) error {
	cfg, err := s.loadComplete(ctx, name)
	if err != nil {
		return err
	}
	if err := validateBlocks(cfg); err != nil {
		return fmt.Errorf("%s: %w", format.ConfigKey(name), err)
	}
	res.Config = cfg
	if err := sink.Prepare(int64(cfg.Size)); err != nil {
		return fmt.Errorf("prepare the restore destination: %w", err)
	}
	meter := newProgressMeter(int64(cfg.Size), progress)
	f := newFetcher(s, cfg, s.concurrency(opts.Concurrency), sink, meter)
	f.retryFor = opts.RetryFor
	sum, err := f.run(ctx)
	res.Blocks = f.fetched
	if err != nil {
		return err
	}
	res.Checksum = sum
	if cfg.HasImageChecksum() {
		if !strings.EqualFold(cfg.Checksum, sum) {
			return fmt.Errorf("%w: cfg has %s, restored %s", ErrChecksumMismatch, cfg.Checksum, sum)
		}
		res.ChecksumVerified = true
	}
	if err := sink.Sync(); err != nil {
		return fmt.Errorf("sync the restored image: %w", err)
	}
	meter.finish()
	return nil
}
