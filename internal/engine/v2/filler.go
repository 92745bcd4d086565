package v2

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"sync/atomic"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

var _ engine.Filler = (*stageFiller)(nil)

// qcow2Magic starts every qcow2 image.
const qcow2Magic = "QFI\xfb"

// stageFiller receives a new copy's bytes in order (a download, an upload)
// into a staged file in the staging directory, hashing them as they
// arrive: the whole SHA-512 in the caller's goroutine and, for raw content
// (the first bytes are not the qcow2 magic), the block manifest on other
// goroutines. Commit judges the file and imports it: raw content is copied
// into the volume without hashing it again; a qcow2 is converted, and the
// conversion's raw output is hashed as it is copied. Blocks of zeros are
// not written to the staged file (it stays sparse).
type stageFiller struct {
	d      *Disk
	id     CopyID
	name   string // the copy's volume name, claimed
	path   string // the staged file
	f      *os.File
	limits imagefmt.Limits

	buf     []byte // the BlockSize-aligned window being filled
	bufOff  int64  // file offset of buf[0]
	sum     hash.Hash
	blocks  *engine.Hasher // nil until the format is known, and for qcow2
	decided bool           // whether the first bytes decided the format
	written atomic.Int64
	done    bool
}

// Create starts a new copy id filled in order. It clears debris a crash
// left for id, fails with ErrExists when a ready copy is there and with
// ErrBusy while another writer fills it. The content is staged in a file
// and judged on Commit against limits.
func (d *Disk) Create(ctx context.Context, id CopyID, limits imagefmt.Limits) (engine.Filler, error) {
	if err := d.clearDebris(id); err != nil {
		return nil, fmt.Errorf("create copy %s: %w", id, err)
	}
	name, err := d.claim(id)
	if err != nil {
		return nil, err
	}
	path := d.stagePath(name, stagedSuffix)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		d.release(name)
		return nil, fmt.Errorf("create copy %s: stage it: %w", id, err)
	}
	return &stageFiller{d: d, id: id, name: name, path: path, f: f, limits: limits,
		buf: make([]byte, 0, engine.BlockSize), sum: sha512.New()}, nil
}

// Write accepts the next bytes.
func (s *stageFiller) Write(p []byte) (int, error) {
	if s.done {
		return 0, fmt.Errorf("write copy %s: the writer is finished", s.id)
	}
	s.sum.Write(p)
	if !s.decided && len(s.buf)+len(p) >= 4 {
		s.decide(append(s.buf[:len(s.buf):len(s.buf)], p[:min(len(p), 4)]...))
	}
	if s.blocks != nil {
		s.blocks.Write(p)
	}
	for q := p; len(q) > 0; {
		k := min(len(q), cap(s.buf)-len(s.buf))
		s.buf = append(s.buf, q[:k]...)
		q = q[k:]
		if len(s.buf) == cap(s.buf) {
			if err := s.flush(); err != nil {
				return 0, err
			}
		}
	}
	s.written.Add(int64(len(p)))
	return len(p), nil
}

// decide starts the block hasher unless head (the content's first bytes)
// is a qcow2's, and feeds it what was written before.
func (s *stageFiller) decide(head []byte) {
	s.decided = true
	if len(head) >= 4 && string(head[:4]) == qcow2Magic {
		return
	}
	s.blocks = engine.NewHasher()
	s.blocks.Write(s.buf) // fewer than 4 bytes, all still in buf
}

// flush writes the buffered window unless it is all zeros (a hole).
func (s *stageFiller) flush() error {
	if len(s.buf) > 0 && !engine.AllZero(s.buf) {
		if _, err := s.f.WriteAt(s.buf, s.bufOff); err != nil {
			return fmt.Errorf("write copy %s: stage it in %s: %w", s.id, s.path, err)
		}
	}
	s.bufOff += int64(len(s.buf))
	s.buf = s.buf[:0]
	return nil
}

// Written is how many bytes were accepted so far; safe from any goroutine.
func (s *stageFiller) Written() int64 { return s.written.Load() }

// Reset discards everything written, to start again from byte zero.
func (s *stageFiller) Reset() error {
	if s.done {
		return fmt.Errorf("reset copy %s: the writer is finished", s.id)
	}
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("reset copy %s: %w", s.id, err)
	}
	if s.blocks != nil {
		s.blocks.Stop()
		s.blocks = nil
	}
	s.buf, s.bufOff, s.decided = s.buf[:0], 0, false
	s.sum.Reset()
	s.written.Store(0)
	return nil
}

// Commit checks expected (unless empty) against the bytes received, judges
// the image with imagefmt.Check under the writer's limits, and imports it:
// the copy, its manifest and its ready state are durable when it returns.
// On error nothing is left on the disk or in the staging directory.
func (s *stageFiller) Commit(ctx context.Context, expected string) (engine.Record, error) {
	if s.done {
		return engine.Record{}, fmt.Errorf("commit copy %s: the writer is finished", s.id)
	}
	defer s.Abort()
	cfg, err := s.commit(ctx, normalizeChecksum(expected))
	if err != nil {
		return engine.Record{}, err
	}
	return recordOf(cfg), nil
}

func (s *stageFiller) commit(ctx context.Context, expected string) (Config, error) {
	if !s.decided {
		s.decide(s.buf) // fewer than 4 bytes: raw
	}
	if err := s.flush(); err != nil {
		return Config{}, err
	}
	size := s.written.Load()
	if err := s.f.Truncate(size); err != nil {
		return Config{}, fmt.Errorf("commit copy %s: %w", s.id, err)
	}
	sum := hex.EncodeToString(s.sum.Sum(nil))
	if expected != "" && sum != expected {
		return Config{}, fmt.Errorf("commit copy %s: %w: expected %s, the %d bytes received hash to %s (check the "+
			"expected checksum, or the source's bytes)", s.id, ErrChecksumMismatch, expected, size, sum)
	}
	if size == 0 {
		return Config{}, fmt.Errorf("commit copy %s: no bytes were received; a copy needs content", s.id)
	}
	var known *engine.Manifest
	if s.blocks != nil {
		known = s.blocks.Finish(sum)
	}
	meta := copyMeta{id: s.id, expectedChecksum: expected}
	return s.d.importFile(ctx, s.name, s.path, meta, "", known, s.limits, nil)
}

// Abort removes the staged file and the claim; a no-op after Commit.
func (s *stageFiller) Abort() {
	if s.done {
		return
	}
	s.done = true
	if s.blocks != nil {
		s.blocks.Stop()
	}
	s.f.Close()
	_ = s.d.removeStaged(s.name)
	s.d.release(s.name)
}
