package enginetest

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// reader reads a copy's live bytes.
type reader struct {
	d   *Disk
	c   *memCopy
	pos int64
}

var _ engine.CopyReader = (*reader)(nil)

func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	if off >= int64(len(r.c.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.c.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *reader) Size() int64 {
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	return int64(len(r.c.data))
}

func (r *reader) DataExtents(context.Context) ([]engine.Extent, error) {
	return []engine.Extent{{Offset: 0, Length: r.Size()}}, nil
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.Size()
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek to %d: negative position", offset)
	}
	r.pos = offset
	return offset, nil
}

func (r *reader) Close() error { return nil }

// Create implements engine.Disk.
func (d *Disk) Create(_ context.Context, id engine.CopyID, limits imagefmt.Limits) (engine.Filler, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	if err := d.exists(id); err != nil {
		return nil, err
	}
	f := &filler{d: d, id: id, limits: limits}
	f.start()
	return f, nil
}

type filler struct {
	d      *Disk
	id     engine.CopyID
	limits imagefmt.Limits

	mu     sync.Mutex // guards buf's length for Written
	buf    bytes.Buffer
	whole  hash.Hash
	hasher *engine.Hasher
	done   bool
}

func (f *filler) start() {
	f.buf.Reset()
	f.whole = sha512.New()
	f.hasher = engine.NewHasher()
}

func (f *filler) Write(p []byte) (int, error) {
	f.whole.Write(p)
	f.hasher.Write(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.Write(p)
}

func (f *filler) Written() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(f.buf.Len())
}

func (f *filler) Reset() error {
	f.hasher.Stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.start()
	return nil
}

func (f *filler) Commit(_ context.Context, expected string) (engine.Record, error) {
	if f.done {
		return engine.Record{}, fmt.Errorf("copy %s: commit after commit or abort", f.id)
	}
	f.done = true
	sum := hex.EncodeToString(f.whole.Sum(nil))
	m := f.hasher.Finish(sum)
	if expected != "" && expected != sum {
		return engine.Record{}, fmt.Errorf("copy %s: %w: expected %s, received bytes hash to %s", f.id, engine.ErrChecksumMismatch, expected, sum)
	}
	return f.d.publish(f.id, bytes.Clone(f.buf.Bytes()), m, f.limits)
}

func (f *filler) Abort() {
	if !f.done {
		f.done = true
		f.hasher.Stop()
	}
}

// sink is the restore target: positioned writes into a byte slice.
type sink struct {
	mu   sync.Mutex
	data []byte
}

func (s *sink) Prepare(size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = make([]byte, size)
	return nil
}

func (s *sink) WriteAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off < 0 || off+int64(len(p)) > int64(len(s.data)) {
		return 0, fmt.Errorf("write of %d bytes at %d outside the %d-byte image", len(p), off, len(s.data))
	}
	return copy(s.data[off:], p), nil
}

func (s *sink) Sync() error { return nil }

// Restore implements engine.Disk: the copy keeps the manifest the restore
// proved; only without one is the content hashed (engine.Build).
func (d *Disk) Restore(ctx context.Context, id engine.CopyID, from engine.BackupReader, limits imagefmt.Limits, progress func(done, total int64)) (engine.Record, error) {
	if err := id.Validate(); err != nil {
		return engine.Record{}, err
	}
	if err := d.exists(id); err != nil {
		return engine.Record{}, err
	}
	s := &sink{}
	got, err := from.Restore(ctx, s, progress)
	if err != nil {
		return engine.Record{}, fmt.Errorf("restore copy %s: %w", id, err)
	}
	m := got.Manifest
	if m == nil || got.FullPass {
		if m, err = engine.Build(ctx, byteSource{bytes.NewReader(s.data)}, got.Checksum, nil); err != nil {
			return engine.Record{}, fmt.Errorf("restore copy %s: %w", id, err)
		}
	}
	if m.Size != int64(len(s.data)) {
		return engine.Record{}, fmt.Errorf("restore copy %s: the manifest is of %d bytes, the image %d", id, m.Size, len(s.data))
	}
	return d.publish(id, s.data, m, limits)
}

// Replicate implements engine.Disk: every block of src is checked against
// srcManifest, which becomes the new copy's manifest.
func (d *Disk) Replicate(ctx context.Context, id engine.CopyID, src engine.CopyReader, srcManifest *engine.Manifest, limits imagefmt.Limits, progress func(done int64)) (engine.Record, error) {
	if err := id.Validate(); err != nil {
		return engine.Record{}, err
	}
	if err := d.exists(id); err != nil {
		return engine.Record{}, err
	}
	if src.Size() != srcManifest.Size {
		return engine.Record{}, fmt.Errorf("replicate copy %s: the source is %d bytes, its manifest %d", id, src.Size(), srcManifest.Size)
	}
	data := make([]byte, src.Size())
	if _, err := src.ReadAt(data, 0); err != nil && err != io.EOF {
		return engine.Record{}, fmt.Errorf("replicate copy %s: read the source: %w", id, err)
	}
	bad, err := engine.Check(ctx, byteSource{bytes.NewReader(data)}, srcManifest, engine.VerifyOptions{Progress: progress})
	if err != nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s: %w", id, err)
	}
	if len(bad) > 0 {
		return engine.Record{}, &engine.DamagedError{ID: id, Disk: "(the replication source)", Offsets: bad}
	}
	return d.publish(id, data, srcManifest, limits)
}

// byteSource is an engine.Source over bytes held in memory.
type byteSource struct{ *bytes.Reader }

func (b byteSource) DataExtents(context.Context) ([]engine.Extent, error) {
	return []engine.Extent{{Offset: 0, Length: b.Size()}}, nil
}
