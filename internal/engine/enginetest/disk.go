// Package enginetest holds what tests of engine.Disk users and
// implementations share: Disk, an in-memory engine.Disk with the contract's
// semantics (manifests from engine.Hasher and engine.Build, damage found by
// engine.Check) and a hook to flip a stored byte; and RunContract, the
// suite every engine.Disk implementation must pass.
package enginetest

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Disk is an in-memory engine.Disk. It is safe for concurrent use.
type Disk struct {
	engine   engine.Engine
	uuid     string
	path     string
	capacity int64

	mu      sync.Mutex
	copies  map[engine.CopyID]*memCopy
	verifys []engine.VerifyOptions
}

var _ engine.Disk = (*Disk)(nil)

// memCopy is one ready copy. Its data is guarded by the disk's mutex.
type memCopy struct {
	data     []byte
	rec      engine.Record
	manifest *engine.Manifest // nil: a copy made before manifests existed
}

// NewDisk returns an empty in-memory disk of the given engine with a
// capacity of 1 GiB; path and uuid name it.
func NewDisk(eng engine.Engine, path, uuid string) *Disk {
	return &Disk{engine: eng, uuid: uuid, path: path, capacity: 1 << 30, copies: map[engine.CopyID]*memCopy{}}
}

// Engine implements engine.Disk.
func (d *Disk) Engine() engine.Engine { return d.engine }

// UUID implements engine.Disk.
func (d *Disk) UUID() string { return d.uuid }

// Path implements engine.Disk.
func (d *Disk) Path() string { return d.path }

// Capacity implements engine.Disk: available is the capacity less the
// bytes of the copies held.
func (d *Disk) Capacity() (int64, int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	used := int64(0)
	for _, c := range d.copies {
		used += int64(len(c.data))
	}
	return d.capacity, max(0, d.capacity-used), nil
}

// Cleanup implements engine.Disk; an in-memory disk has no debris.
func (d *Disk) Cleanup() ([]string, error) { return nil, nil }

// Present implements engine.Disk.
func (d *Disk) Present(id engine.CopyID) error {
	_, err := d.get(id)
	return err
}

func (d *Disk) get(id engine.CopyID) (*memCopy, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.copies[id]
	if !ok {
		return nil, fmt.Errorf("copy %s on disk %s: %w", id, d.path, fs.ErrNotExist)
	}
	return c, nil
}

// Remove implements engine.Disk.
func (d *Disk) Remove(id engine.CopyID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.copies, id)
	return nil
}

// Open implements engine.Disk. The reader sees the copy's bytes as they
// are when read (a Flip or Repair after Open shows).
func (d *Disk) Open(id engine.CopyID) (engine.CopyReader, error) {
	c, err := d.get(id)
	if err != nil {
		return nil, err
	}
	return &reader{d: d, c: c}, nil
}

// Record implements engine.Disk.
func (d *Disk) Record(id engine.CopyID) (engine.Record, error) {
	c, err := d.get(id)
	if err != nil {
		return engine.Record{}, err
	}
	return c.rec, nil
}

// Manifest implements engine.Disk: a copy stored without one (see
// PutLegacy) gets it built once against its recorded checksum.
func (d *Disk) Manifest(ctx context.Context, id engine.CopyID) (*engine.Manifest, error) {
	c, err := d.get(id)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	m := c.manifest
	d.mu.Unlock()
	if m != nil {
		return cloneManifest(m), nil
	}
	m, err = engine.Build(ctx, &reader{d: d, c: c}, c.rec.Checksum, nil)
	if errors.Is(err, engine.ErrChecksumMismatch) {
		return nil, &engine.DamagedError{ID: id, Disk: d.path, Whole: true}
	}
	if err != nil {
		return nil, fmt.Errorf("build the manifest of copy %s: %w", id, err)
	}
	d.mu.Lock()
	c.manifest = m
	d.mu.Unlock()
	return cloneManifest(m), nil
}

// Verify implements engine.Disk. Each call's options are kept for
// VerifyCalls.
func (d *Disk) Verify(ctx context.Context, id engine.CopyID, opts engine.VerifyOptions) (engine.Record, error) {
	d.mu.Lock()
	d.verifys = append(d.verifys, opts)
	d.mu.Unlock()
	m, err := d.Manifest(ctx, id)
	if err != nil {
		return engine.Record{}, err
	}
	c, err := d.get(id)
	if err != nil {
		return engine.Record{}, err
	}
	bad, err := engine.Check(ctx, &reader{d: d, c: c}, m, opts)
	if err != nil {
		return engine.Record{}, fmt.Errorf("verify copy %s on disk %s: %w", id, d.path, err)
	}
	if len(bad) > 0 {
		return engine.Record{}, &engine.DamagedError{ID: id, Disk: d.path, Offsets: bad}
	}
	return c.rec, nil
}

// VerifyCalls returns the options of every Verify call so far, in order.
func (d *Disk) VerifyCalls() []engine.VerifyOptions {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]engine.VerifyOptions(nil), d.verifys...)
}

// Repair implements engine.Disk.
func (d *Disk) Repair(ctx context.Context, id engine.CopyID, offset int64, data []byte) error {
	m, err := d.Manifest(ctx, id)
	if err != nil {
		return err
	}
	if offset < 0 || offset%engine.BlockSize != 0 || offset >= m.Size {
		return fmt.Errorf("repair copy %s: offset %d is not the start of a block of the %d-byte copy", id, offset, m.Size)
	}
	i := int(offset / engine.BlockSize)
	if len(data) != engine.BlockLen(i, m.Size) {
		return fmt.Errorf("repair copy %s block %d: got %d bytes, the block has %d", id, i, len(data), engine.BlockLen(i, m.Size))
	}
	want := m.Blocks[i]
	if ok := (want.IsZero() && engine.AllZero(data)) || (!want.IsZero() && engine.SumOf(data) == want); !ok {
		return fmt.Errorf("repair copy %s block %d: %w: the bytes given do not hash to the manifest's block ID", id, i, engine.ErrChecksumMismatch)
	}
	c, err := d.get(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	copy(c.data[offset:], data)
	d.mu.Unlock()
	return nil
}

// Flip inverts every bit of the stored byte at offset of copy id, behind
// the engine's back (bit rot). It panics if the copy is not there.
func (d *Disk) Flip(id engine.CopyID, offset int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.copies[id].data[offset] ^= 0xff
}

// Bytes returns a copy of the stored content of copy id.
func (d *Disk) Bytes(id engine.CopyID) ([]byte, error) {
	c, err := d.get(id)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return bytes.Clone(c.data), nil
}

// PutLegacy stores data as a ready raw copy id without a manifest, as a
// copy made before manifests existed; Manifest builds it on first use.
func (d *Disk) PutLegacy(id engine.CopyID, data []byte) {
	sum := sha512.Sum512(data)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.copies[id] = &memCopy{data: bytes.Clone(data), rec: engine.Record{
		ID: id, Checksum: hex.EncodeToString(sum[:]), Size: int64(len(data)), VirtualSize: int64(len(data)), Format: imagefmt.Raw,
	}}
}

// publish judges data and makes it the ready copy id with manifest m.
func (d *Disk) publish(id engine.CopyID, data []byte, m *engine.Manifest, limits imagefmt.Limits) (engine.Record, error) {
	info, err := imagefmt.Check(bytes.NewReader(data), int64(len(data)), limits)
	if err != nil {
		return engine.Record{}, fmt.Errorf("copy %s: %w", id, err)
	}
	rec := engine.Record{ID: id, Checksum: m.Checksum, Size: int64(len(data)), VirtualSize: info.VirtualSize, Format: info.Format}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.copies[id]; ok {
		return engine.Record{}, fmt.Errorf("copy %s on disk %s: %w", id, d.path, engine.ErrExists)
	}
	d.copies[id] = &memCopy{data: data, rec: rec, manifest: cloneManifest(m)}
	return rec, nil
}

func (d *Disk) exists(id engine.CopyID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.copies[id]; ok {
		return fmt.Errorf("copy %s on disk %s: %w", id, d.path, engine.ErrExists)
	}
	return nil
}

func cloneManifest(m *engine.Manifest) *engine.Manifest {
	out := *m
	out.Blocks = append([]engine.BlockSum(nil), m.Blocks...)
	return &out
}
