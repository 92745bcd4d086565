package backupstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/engine"
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
	// Checksum is the SHA-512 hex (lowercase) of the restored image.
	Checksum string
	// ChecksumVerified is true when Checksum is proven: every block
	// matched its ID and the cfg's Checksum is a SHA-512 (the cfg's block
	// map fixes every byte, so its Checksum is adopted without hashing the
	// image). A foreign cfg may hold another kind of checksum; then every
	// block is still verified and Checksum is computed by a full pass
	// (FullPass), but there is nothing to compare it with.
	ChecksumVerified bool
	// FullPass is true when the whole image was hashed in order because
	// the cfg has no SHA-512 Checksum.
	FullPass bool
	// Manifest is the restored image's block manifest, built from the
	// cfg's block list (no block is hashed for it, except a foreign short
	// block in the middle of the image), with Checksum as its checksum.
	Manifest *engine.Manifest
	// Blocks is the number of blocks downloaded and verified: each
	// distinct block ID once, however many offsets use it (every listed
	// block on a full pass).
	Blocks   int64
	LockWait time.Duration
	Duration time.Duration
}

// Restored is what the restore proved, in the engine's terms.
func (r RestoreResult) Restored() engine.Restored {
	return engine.Restored{Checksum: r.Checksum, Manifest: r.Manifest, FullPass: r.FullPass}
}

// Restore writes backup name into sink: it sizes the sink (holes stay
// zero), downloads blocks concurrently and verifies each against its ID,
// and syncs the sink. For a cfg with a SHA-512 Checksum each distinct
// block is fetched once and written to every offset that uses it, and the
// image checksum is the cfg's; a foreign cfg gets a full ordered pass that
// hashes the image. Any failure returns an error (a *BlockError names a
// bad block) and the caller must treat the sink's content as garbage.
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
	conc := s.concurrency(opts.Concurrency)
	if cfg.HasImageChecksum() {
		err = s.restoreDistinct(ctx, cfg, sink, conc, opts.RetryFor, meter, res)
	} else {
		err = s.restoreFullPass(ctx, cfg, sink, conc, opts.RetryFor, meter, res)
	}
	if err != nil {
		return err
	}
	if err := sink.Sync(); err != nil {
		return fmt.Errorf("sync the restored image: %w", err)
	}
	meter.finish()
	return nil
}

// restoreDistinct fetches each distinct block once; the checksum and the
// manifest come from the cfg.
func (s *Store) restoreDistinct(ctx context.Context, cfg *format.Config, sink Sink, conc int, retryFor time.Duration, meter *progressMeter, res *RestoreResult) error {
	sum := strings.ToLower(cfg.Checksum)
	r := newDedupRestore(s, cfg, conc, sink, meter, engine.NewManifest(int64(cfg.Size), sum))
	r.retryFor = retryFor
	err := r.run(ctx)
	res.Blocks = r.fetched.Load()
	if err != nil {
		return err
	}
	res.Checksum, res.ChecksumVerified, res.Manifest = sum, true, r.m
	return nil
}

// restoreFullPass fetches the blocks in order and hashes the whole image:
// a foreign cfg's Checksum cannot vouch for it.
func (s *Store) restoreFullPass(ctx context.Context, cfg *format.Config, sink Sink, conc int, retryFor time.Duration, meter *progressMeter, res *RestoreResult) error {
	f := newFetcher(s, cfg, conc, sink, meter)
	f.retryFor = retryFor
	f.manifest = engine.NewManifest(int64(cfg.Size), "")
	sum, err := f.run(ctx)
	res.Blocks = f.fetched
	if err != nil {
		return err
	}
	f.manifest.Checksum = sum
	res.Checksum, res.FullPass, res.Manifest = sum, true, f.manifest
	return nil
}
