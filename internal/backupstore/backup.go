package backupstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/target"
)

// DefaultCompression is used when a request names none (Longhorn's
// default too).
const DefaultCompression = format.CompressionLZ4

// BackupRequest describes one backup.
type BackupRequest struct {
	// Name is the backup name (usually the backing image's); it must pass
	// format.ValidateName.
	Name   string
	Source Source
	// Compression is none, gzip or lz4; "" means DefaultCompression.
	Compression string
	// Concurrency is the number of blocks hashed, compressed and uploaded
	// at once; 0 means the Store's default.
	Concurrency int
	Labels      map[string]string
	// Checksum, if set, is the SHA-512 hex the source must have. It lets an
	// existing complete backup be adopted without reading the source, and
	// a source whose bytes differ fails with ErrSourceChanged.
	Checksum string
	// Manifest, if set, is the source's block manifest (engine.Manifest):
	// the cfg's block list and the image checksum are taken from it, and
	// only blocks the pool lacks are read from Source, each checked
	// against its manifest ID before upload (a mismatch fails the backup
	// with a *SourceDamagedError and nothing of that block is uploaded).
	// A backup whose blocks all exist reads nothing. Its Size must equal
	// Source.Size(), and Checksum, if also set, must equal its Checksum.
	// Without it the whole source is read and hashed.
	Manifest *engine.Manifest
	// Secret and SecretNamespace name the Kubernetes secret of an
	// encrypted image; stored in the cfg for Longhorn, unused here.
	Secret, SecretNamespace string
}

// BackupResult describes a finished backup.
type BackupResult struct {
	Config *format.Config
	// Adopted is true when a complete backup with the same checksum
	// already existed: nothing was uploaded or rewritten.
	Adopted bool
	// Resumed is true when an in-progress placeholder was replaced.
	Resumed  bool
	Stats    BackupStats
	LockWait time.Duration // time spent waiting for the store lock
	Duration time.Duration // total time, LockWait included
}

// Backup writes req.Source as backup req.Name: a placeholder cfg first,
// then the blocks the pool lacks, then the final cfg as the commit point.
// A complete backup of the same name is adopted when its checksum equals
// the source's and is otherwise a *ChecksumConflictError; it is never
// overwritten, and an error reading it stops the backup. An in-progress
// placeholder (a failed or interrupted backup) is replaced.
//
// A backup with a Manifest on a Store that must take a new lock (none is
// held or lingering) uploads the blocks the pool lacks while the lock
// protocol waits (a speculation, see speculation), so that a cold backup
// costs about max(CheckWait, work) rather than their sum. This is safe:
// block Puts are content-addressed and idempotent, and a speculative block
// that nothing references is garbage a GC may remove, which is harmless
// because the committed cfg counts only on blocks seen in a listing taken
// after our placeholder cfg exists and our lock is confirmed; after a
// speculation that uploaded anything that listing is always a fresh one,
// and the locked path uploads whatever it lacks (a block a GC removed in
// between is uploaded again). If the lock is not obtained the backup fails
// as it would without the speculation, which is stopped first, and its
// blocks are garbage for the next GC.
func (s *Store) Backup(ctx context.Context, req BackupRequest, progress ProgressFunc) (BackupResult, error) {
	start := time.Now()
	var res BackupResult
	if err := format.ValidateName(req.Name); err != nil {
		return res, err
	}
	if req.Source == nil {
		return res, fmt.Errorf("backup %q: no source", req.Name)
	}
	if req.Compression == "" {
		req.Compression = DefaultCompression
	}
	if _, err := blockcodec.ParseMethod(req.Compression); err != nil {
		return res, fmt.Errorf("backup %q: %w", req.Name, err)
	}
	if req.Manifest != nil {
		if err := checkManifest(req); err != nil {
			return res, fmt.Errorf("backup %q: %w", req.Name, err)
		}
	}
	// One meter for the speculation and the locked path: what the
	// speculation uploads shows as progress while the lock protocol waits.
	meter := newProgressMeter(req.Source.Size(), progress)
	var spec *speculation
	if req.Manifest != nil && !s.lockIsWarm() {
		spec = s.speculate(ctx, req, meter)
	}
	waited, err := s.withLock(ctx, lock.Backup, func(ctx context.Context) error {
		spec.halt() // before anything is written under the lock
		return s.backupLocked(ctx, req, spec, meter, &res)
	})
	spec.halt() // the lock was not obtained: nothing of the backup runs on
	res.LockWait = waited
	res.Duration = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("backup %q: %w", req.Name, err)
	}
	return res, nil
}

// backupLocked runs under the store lock; spec, if not nil, is a halted
// speculation whose uploads the backup must not count on without a fresh
// listing.
func (s *Store) backupLocked(ctx context.Context, req BackupRequest, spec *speculation, meter *progressMeter, res *BackupResult) error {
	existing, err := s.loadConfig(ctx, req.Name)
	switch {
	case err == nil && !existing.InProgress():
		return s.adopt(ctx, req, existing, meter, res)
	case err == nil:
		res.Resumed = true
	case !target.IsNotFound(err):
		return err
	}
	cfg := &format.Config{
		Name:              req.Name,
		Size:              format.StringInt64(req.Source.Size()),
		Labels:            maps.Clone(req.Labels),
		CompressionMethod: req.Compression,
		CreatedTime:       format.FormatTime(s.opts.Now()),
	}
	if err := s.putConfig(ctx, cfg); err != nil {
		return fmt.Errorf("write the in-progress placeholder: %w", err)
	}
	// The pool is listed after the placeholder exists: a garbage collector
	// that honours in-progress markers cannot remove what we then count on.
	// A resumed backup always lists it afresh, so it sends exactly the
	// blocks the store lacks; so does one after a speculation that
	// uploaded blocks (a GC may have removed them before our lock).
	maxAge := s.opts.KnownBlocksMaxAge
	specStats, specIDs, kits := spec.result()
	if res.Resumed || len(specIDs) > 0 {
		maxAge = 0
	}
	if err := s.known.Refresh(ctx, s.tgt, maxAge); err != nil {
		return err
	}
	if err := s.loadBadBlocks(ctx); err != nil {
		return err
	}
	res.Stats = specStats
	refs, sum, err := s.backupBlocks(ctx, req, specIDs, kits, meter, res)
	if err != nil {
		return err
	}
	if req.Checksum != "" && req.Checksum != sum {
		return fmt.Errorf("%w: expected %s, read %s; nothing was committed", ErrSourceChanged, req.Checksum, sum)
	}
	cfg.Checksum, cfg.Blocks = sum, refs
	cfg.Secret, cfg.SecretNamespace = req.Secret, req.SecretNamespace
	cfg.MarkComplete(s.opts.Now())
	if err := s.putConfig(ctx, cfg); err != nil {
		return fmt.Errorf("commit the final cfg: %w", err)
	}
	res.Config = cfg
	meter.finish()
	return nil
}

// backupBlocks uploads what the pool lacks and returns the cfg's block
// list and the image's SHA-512: from req.Manifest when set, else by
// reading and hashing the whole source. res.Stats holds what a speculation
// did, whose uploaded IDs are pre and whose workers' kits a manifest
// backup reuses; the returned stats include it.
func (s *Store) backupBlocks(ctx context.Context, req BackupRequest, pre map[engine.BlockSum]struct{}, kits []workerKit, meter *progressMeter, res *BackupResult) ([]format.BlockRef, string, error) {
	conc := s.concurrency(req.Concurrency)
	if req.Manifest != nil {
		b := &manifestBackup{s: s, src: req.Source, m: req.Manifest, method: req.Compression, conc: conc, meter: meter, pre: pre, kits: kits, stats: res.Stats}
		refs, err := b.run(ctx)
		res.Stats = b.stats
		return refs, req.Manifest.Checksum, err
	}
	p := newPipeline(s, req.Source, req.Compression, conc, meter)
	refs, sum, err := p.run(ctx)
	res.Stats = p.stats
	return refs, sum, err
}

// adopt accepts an existing complete backup with the source's checksum.
func (s *Store) adopt(ctx context.Context, req BackupRequest, existing *format.Config, meter *progressMeter, res *BackupResult) error {
	sum := req.Checksum
	if sum == "" && req.Manifest != nil {
		sum = req.Manifest.Checksum
	}
	if sum == "" {
		var err error
		if sum, err = ImageChecksum(ctx, req.Source); err != nil {
			return fmt.Errorf("checksum the source to compare with the existing backup: %w", err)
		}
	}
	if existing.Checksum != sum {
		return &ChecksumConflictError{Name: req.Name, Existing: existing.Checksum, New: sum}
	}
	res.Config, res.Adopted = existing, true
	meter.finish()
	return nil
}

// loadConfig reads and parses the cfg of name. A missing cfg is an error
// for which target.IsNotFound is true.
func (s *Store) loadConfig(ctx context.Context, name string) (*format.Config, error) {
	key := format.ConfigKey(name)
	data, err := s.tgt.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	cfg, err := format.DecodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return cfg, nil
}

func (s *Store) putConfig(ctx context.Context, cfg *format.Config) error {
	data, err := cfg.Encode()
	if err != nil {
		return err
	}
	key := format.ConfigKey(cfg.Name)
	if err := s.tgt.Put(ctx, key, data); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// sortRefs orders a block list by offset.
func sortRefs(refs []format.BlockRef) {
	slices.SortFunc(refs, func(a, b format.BlockRef) int {
		switch {
		case a.Offset < b.Offset:
			return -1
		case a.Offset > b.Offset:
			return 1
		}
		return 0
	})
}
