package volstore

import "fmt"

// Rewrite writes p at off into the volume named name even when it is
// read-only, then commits, so the new bytes are durable when it returns
// nil. It exists to repair a damaged block of a finished (read-only)
// volume from verified bytes. It follows WriteAt's cluster rules: every
// cluster of a read-only volume is referenced by committed metadata, so
// the new content goes to newly allocated clusters (copy-on-write) and a
// crash leaves the volume reading either its old or its new bytes, never
// a mix within a cluster; zeros over a hole write nothing, and zeros over
// a whole allocated cluster free it. It fails with ErrNotFound, ErrInvalid
// (a range outside the volume), ErrNoSpace, ErrClosed or a commit error.
func (s *Store) Rewrite(name string, p []byte, off int64) error {
	v, err := s.Get(name)
	if err != nil {
		return fmt.Errorf("rewrite: %w", err)
	}
	if err := v.rewrite(p, off); err != nil {
		return err
	}
	if err := s.commit(); err != nil {
		return fmt.Errorf("rewrite volume %q at %d: %w", name, off, err)
	}
	return nil
}

func (v *Volume) rewrite(p []byte, off int64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.liveLocked(); err != nil {
		return err
	}
	v.s.mu.Lock()
	err := v.s.usableLocked()
	v.s.mu.Unlock()
	if err != nil {
		return err
	}
	if off < 0 || off > v.size || int64(len(p)) > v.size-off {
		return fmt.Errorf("rewrite volume %q: %d bytes at %d end beyond its %d bytes: %w",
			v.name, len(p), off, v.size, ErrInvalid)
	}
	cs := v.s.cs
	for n := 0; n < len(p); {
		pos := off + int64(n)
		l, within := pos/cs, pos%cs
		chunk := p[n : n+int(min(int64(len(p)-n), cs-within))]
		if err := v.writeCluster(l, within, chunk); err != nil {
			return fmt.Errorf("rewrite volume %q at %d: %w", v.name, pos, err)
		}
		n += len(chunk)
	}
	// A write in place (a cluster not yet committed) leaves nothing dirty;
	// the commit must still flush it.
	v.s.mu.Lock()
	v.s.dirty = true
	v.s.mu.Unlock()
	return nil
}

// DiskOffset returns the byte offset on the disk that holds byte off of
// the volume, and false when off lies in a hole (or outside the volume).
// It is for diagnostics and for tests that damage a volume on purpose.
func (v *Volume) DiskOffset(off int64) (int64, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if off < 0 || off >= v.size || v.deleted {
		return 0, false
	}
	cs := v.s.cs
	phys := v.clusters[off/cs]
	if phys == 0 {
		return 0, false
	}
	return int64(phys)*cs + off%cs, true
}
