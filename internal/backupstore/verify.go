package backupstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Concurrency is the number of blocks read at once; 0 means the
	// Store's default.
	Concurrency int
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Name   string
	Blocks int64 // blocks read and verified intact
	// Missing lists blocks the cfg references that the pool lacks.
	Missing []BlockProblem
	// Corrupt lists blocks whose content does not match their ID.
	Corrupt []BlockProblem
	// Checksum is the image's SHA-512 as rebuilt from the blocks; "" when a
	// bad block made it impossible to compute.
	Checksum string
	// ChecksumOK is true when Checksum equals the cfg's SHA-512 Checksum.
	ChecksumOK bool
	// ChecksumProblem explains a false ChecksumOK.
	ChecksumProblem string
	LockWait        time.Duration
}

// OK reports whether the backup is fully restorable and verified.
func (r *VerifyReport) OK() bool {
	return len(r.Missing) == 0 && len(r.Corrupt) == 0 && r.ChecksumOK
}

// Verify reads every block of backup name, checks each against its ID and
// the whole image against the cfg's Checksum, and writes nothing to the
// target. Bad blocks are reported, not returned as errors, and remembered
// in the Store's BadBlockRecord (so the next backup of their content
// uploads them again); remembered blocks of this backup that read intact
// are forgotten. An error means the check itself could not be done
// (unreadable cfg, target failure) or its findings could not be recorded.
func (s *Store) Verify(ctx context.Context, name string, opts VerifyOptions) (VerifyReport, error) {
	rep := VerifyReport{Name: name}
	waited, err := s.withLock(ctx, lock.Restore, func(ctx context.Context) error {
		_, err := s.verifyLocked(ctx, name, opts, &rep)
		return err
	})
	rep.LockWait = waited
	if err != nil {
		return rep, fmt.Errorf("verify backup %q: %w", name, err)
	}
	return rep, nil
}

// verifyLocked fills rep and returns the (validated) cfg it verified.
func (s *Store) verifyLocked(ctx context.Context, name string, opts VerifyOptions, rep *VerifyReport) (*format.Config, error) {
	cfg, err := s.loadComplete(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := validateBlocks(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", format.ConfigKey(name), err)
	}
	f := newFetcher(s, cfg, s.concurrency(opts.Concurrency), nil, newProgressMeter(int64(cfg.Size), nil))
	f.keepGoing = true
	sum, err := f.run(ctx)
	if err != nil {
		return nil, err
	}
	rep.Blocks, rep.Checksum = f.fetched, sum
	for _, p := range f.problems {
		if p.Missing {
			rep.Missing = append(rep.Missing, p)
		} else {
			rep.Corrupt = append(rep.Corrupt, p)
		}
	}
	switch {
	case sum == "":
		rep.ChecksumProblem = "not computed: some blocks are missing or corrupt"
	case !cfg.HasImageChecksum():
		rep.ChecksumProblem = fmt.Sprintf("the cfg's Checksum %q is not a SHA-512; only blocks were verified", cfg.Checksum)
	case !strings.EqualFold(cfg.Checksum, sum):
		rep.ChecksumProblem = fmt.Sprintf("image SHA-512 %s differs from the cfg's %s", sum, cfg.Checksum)
	default:
		rep.ChecksumOK = true
	}
	return cfg, s.rememberVerify(ctx, cfg, f.problems)
}
