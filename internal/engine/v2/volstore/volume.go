package volstore

import (
	"fmt"
	"io"
	"maps"
	"sync"

	"github.com/google/uuid"
)

var (
	_ io.ReaderAt = (*Volume)(nil)
	_ io.WriterAt = (*Volume)(nil)
)

// Volume is a thin volume in a Store. Its methods are safe for concurrent
// use; reads run in parallel, a write excludes other I/O on the same
// volume only.
type Volume struct {
	s    *Store
	uuid [16]byte
	name string
	size int64

	// mu is held for reading by ReadAt and AllocatedExtents and for
	// writing by WriteAt, Delete and metadata changes.
	mu sync.RWMutex
	// clusters maps each logical cluster to a physical cluster number; 0
	// is a hole (reads as zeros). It changes only with mu and s.mu held.
	clusters []uint32
	// readOnly and deleted change only with mu and s.mu held; attrs with
	// s.mu held.
	readOnly bool
	deleted  bool
	attrs    map[string]string
}

// Extent is a byte range of a volume.
type Extent struct {
	Offset, Length int64
}

// Name returns the volume's name.
func (v *Volume) Name() string { return v.name }

// UUID returns the volume's UUID, assigned by Create.
func (v *Volume) UUID() string { return uuid.UUID(v.uuid).String() }

// Size returns the volume's size in bytes.
func (v *Volume) Size() int64 { return v.size }

// ReadOnly reports whether writes are refused.
func (v *Volume) ReadOnly() bool {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return v.readOnly
}

// Attrs returns a copy of the volume's attributes.
func (v *Volume) Attrs() map[string]string {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return maps.Clone(v.attrs)
}

// Sync makes the volume's completed writes durable (see Store.Sync, which
// it is: one commit covers the whole store). After Sync returns, a crash
// leaves the volume reading exactly what it reads now.
func (v *Volume) Sync() error {
	if err := v.s.commit(); err != nil {
		return fmt.Errorf("sync volume %q: %w", v.name, err)
	}
	return nil
}

// ReadAt reads len(p) bytes at off, following io.ReaderAt: holes read as
// zeros, and a read reaching past Size returns the bytes before it and
// io.EOF.
func (v *Volume) ReadAt(p []byte, off int64) (int, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if err := v.liveLocked(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("read volume %q at %d: negative offset: %w", v.name, off, ErrInvalid)
	}
	if off >= v.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), v.size)
	cs := v.s.cs
	for pos := off; pos < end; {
		l, within := pos/cs, pos%cs
		dst := p[pos-off : min(end, pos-within+cs)-off]
		if phys := v.clusters[l]; phys == 0 {
			clear(dst)
		} else if _, err := v.s.dev.f.ReadAt(dst, int64(phys)*cs+within); err != nil {
			return int(pos - off), fmt.Errorf("read volume %q at %d (cluster %d): %w", v.name, pos, phys, err)
		}
		pos += int64(len(dst))
	}
	if n := int(end - off); n < len(p) {
		return n, io.EOF
	}
	return len(p), nil
}

// AllocatedExtents returns the byte ranges backed by clusters, in order and
// merged; everything else reads as zeros. Backups and downloads read only
// these. An allocated cluster may still hold zeros (a partial write into a
// hole allocates its whole cluster).
func (v *Volume) AllocatedExtents() []Extent {
	v.mu.RLock()
	defer v.mu.RUnlock()
	cs := v.s.cs
	var out []Extent
	for l, p := range v.clusters {
		if p == 0 {
			continue
		}
		off := int64(l) * cs
		length := min(cs, v.size-off)
		if k := len(out) - 1; k >= 0 && out[k].Offset+out[k].Length == off {
			out[k].Length += length
			continue
		}
		out = append(out, Extent{Offset: off, Length: length})
	}
	return out
}

// AllocatedBytes returns the bytes of the clusters the volume owns.
func (v *Volume) AllocatedBytes() int64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var n int64
	for _, p := range v.clusters {
		if p != 0 {
			n++
		}
	}
	return n * v.s.cs
}

// liveLocked returns why the volume cannot be used, or nil; v.mu is held.
func (v *Volume) liveLocked() error {
	switch {
	case v.s.closed.Load():
		return fmt.Errorf("volume %q: %w", v.name, ErrClosed)
	case v.deleted:
		return fmt.Errorf("volume %q: %w", v.name, ErrDeleted)
	}
	return nil
}
