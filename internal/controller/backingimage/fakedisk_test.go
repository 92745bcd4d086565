package backingimage

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sync"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// fakeDisk is an in-memory engine.Disk: each copy is its bytes and the
// manifest recorded when it was made, so a test can flip a byte behind
// the manifest's back. manifestErr, when set, is what Manifest returns.
type fakeDisk struct {
	uuid, path string
	eng        engine.Engine

	mu          sync.Mutex
	copies      map[engine.CopyID]*fakeCopy
	manifestErr error
	opened      int // copies opened and not yet closed
}

type fakeCopy struct {
	data     []byte
	manifest *engine.Manifest
}

var _ engine.Disk = (*fakeDisk)(nil)

func newFakeDisk(uuid string, eng engine.Engine) *fakeDisk {
	return &fakeDisk{uuid: uuid, path: "/fake/" + uuid, eng: eng, copies: map[engine.CopyID]*fakeCopy{}}
}

// put stores a ready copy of data with its true manifest.
func (d *fakeDisk) put(id engine.CopyID, data []byte) *engine.Manifest {
	m, err := engine.Build(context.Background(), &backupstore.BytesSource{Data: data}, "", nil)
	if err != nil {
		panic(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.copies[id] = &fakeCopy{data: bytes.Clone(data), manifest: m}
	return m
}

func (d *fakeDisk) get(id engine.CopyID) (*fakeCopy, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.copies[id]
	return c, ok
}

func (d *fakeDisk) Engine() engine.Engine                                      { return d.eng }
func (d *fakeDisk) UUID() string                                               { return d.uuid }
func (d *fakeDisk) Path() string                                               { return d.path }
func (d *fakeDisk) Capacity() (int64, int64, error)                            { return 1 << 40, 1 << 39, nil }
func (d *fakeDisk) Cleanup() ([]string, error)                                 { return nil, nil }
func (d *fakeDisk) Repair(context.Context, engine.CopyID, int64, []byte) error { return nil }

func (d *fakeDisk) Present(id engine.CopyID) error {
	if _, ok := d.get(id); !ok {
		return fmt.Errorf("copy %s: %w", id, fs.ErrNotExist)
	}
	return nil
}

func (d *fakeDisk) Remove(id engine.CopyID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.copies, id)
	return nil
}

func (d *fakeDisk) Open(id engine.CopyID) (engine.CopyReader, error) {
	c, ok := d.get(id)
	if !ok {
		return nil, fmt.Errorf("copy %s: %w", id, fs.ErrNotExist)
	}
	d.mu.Lock()
	d.opened++
	d.mu.Unlock()
	return &fakeReader{Reader: bytes.NewReader(c.data), BytesSource: &backupstore.BytesSource{Data: c.data}, d: d}, nil
}

func (d *fakeDisk) openCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.opened
}

func (d *fakeDisk) Record(id engine.CopyID) (engine.Record, error) {
	c, ok := d.get(id)
	if !ok {
		return engine.Record{}, fmt.Errorf("copy %s: %w", id, fs.ErrNotExist)
	}
	return engine.Record{ID: id, Checksum: c.manifest.Checksum, Size: int64(len(c.data)), VirtualSize: int64(len(c.data)), Format: imagefmt.Raw}, nil
}

func (d *fakeDisk) Manifest(_ context.Context, id engine.CopyID) (*engine.Manifest, error) {
	if d.manifestErr != nil {
		return nil, d.manifestErr
	}
	c, ok := d.get(id)
	if !ok {
		return nil, fmt.Errorf("copy %s: %w", id, fs.ErrNotExist)
	}
	return c.manifest, nil
}

func (d *fakeDisk) Verify(ctx context.Context, id engine.CopyID, opts engine.VerifyOptions) (engine.Record, error) {
	c, ok := d.get(id)
	if !ok {
		return engine.Record{}, fmt.Errorf("copy %s: %w", id, fs.ErrNotExist)
	}
	bad, err := engine.Check(ctx, &backupstore.BytesSource{Data: c.data}, c.manifest, opts)
	if err != nil {
		return engine.Record{}, err
	}
	if len(bad) > 0 {
		return engine.Record{}, &engine.DamagedError{ID: id, Disk: d.path, Offsets: bad}
	}
	return d.Record(id)
}

func (d *fakeDisk) Create(_ context.Context, id engine.CopyID, _ imagefmt.Limits) (engine.Filler, error) {
	if _, ok := d.get(id); ok {
		return nil, fmt.Errorf("copy %s: %w", id, engine.ErrExists)
	}
	return &fakeFiller{d: d, id: id}, nil
}

func (d *fakeDisk) Restore(ctx context.Context, id engine.CopyID, from engine.BackupReader, _ imagefmt.Limits, progress func(done, total int64)) (engine.Record, error) {
	sink := &backupstore.BytesSink{}
	res, err := from.Restore(ctx, sink, progress)
	if err != nil {
		return engine.Record{}, err
	}
	data, _ := sink.Bytes()
	if res.Manifest == nil {
		d.put(id, data)
	} else {
		d.mu.Lock()
		d.copies[id] = &fakeCopy{data: data, manifest: res.Manifest}
		d.mu.Unlock()
	}
	return d.Record(id)
}

// Replicate checks every block read against srcManifest, as the contract
// says, and names the source's bad blocks in a *DamagedError.
func (d *fakeDisk) Replicate(ctx context.Context, id engine.CopyID, src engine.CopyReader, srcManifest *engine.Manifest, _ imagefmt.Limits, progress func(done int64)) (engine.Record, error) {
	bad, err := engine.Check(ctx, src, srcManifest, engine.VerifyOptions{Progress: progress})
	if err != nil {
		return engine.Record{}, err
	}
	if len(bad) > 0 {
		return engine.Record{}, &engine.DamagedError{ID: id, Offsets: bad}
	}
	data := make([]byte, src.Size())
	if _, err := src.ReadAt(data, 0); err != nil {
		return engine.Record{}, err
	}
	d.mu.Lock()
	d.copies[id] = &fakeCopy{data: data, manifest: srcManifest}
	d.mu.Unlock()
	return d.Record(id)
}

type fakeReader struct {
	*bytes.Reader
	*backupstore.BytesSource
	d      *fakeDisk
	closed bool
}

func (r *fakeReader) ReadAt(p []byte, off int64) (int, error) { return r.Reader.ReadAt(p, off) }
func (r *fakeReader) Size() int64                             { return r.Reader.Size() }
func (r *fakeReader) Close() error {
	if !r.closed {
		r.closed = true
		r.d.mu.Lock()
		r.d.opened--
		r.d.mu.Unlock()
	}
	return nil
}

// fakeFiller collects a new copy's bytes and commits them.
type fakeFiller struct {
	d   *fakeDisk
	id  engine.CopyID
	buf bytes.Buffer
}

func (f *fakeFiller) Write(p []byte) (int, error) { return f.buf.Write(p) }
func (f *fakeFiller) Written() int64              { return int64(f.buf.Len()) }
func (f *fakeFiller) Reset() error                { f.buf.Reset(); return nil }
func (f *fakeFiller) Abort()                      {}
func (f *fakeFiller) Commit(_ context.Context, expected string) (engine.Record, error) {
	sum := sha512.Sum512(f.buf.Bytes())
	if got := hex.EncodeToString(sum[:]); expected != "" && got != expected {
		return engine.Record{}, fmt.Errorf("%w: expected %s, got %s", engine.ErrChecksumMismatch, expected, got)
	}
	f.d.put(f.id, f.buf.Bytes())
	return f.d.Record(f.id)
}
