package volstore

import (
	"fmt"
)

// WriteAt writes p at off, which must lie inside the volume (it never
// grows). Cluster by cluster:
//   - zeros over a hole allocate nothing;
//   - data over a hole allocates a cluster, written whole (the rest zero),
//     so stale bytes of a freed cluster can never be read back;
//   - zeros over a whole allocated cluster free it;
//   - a cluster the committed metadata references is never written in
//     place: its new content goes to a new cluster (copy-on-write), and
//     the old one is freed at the next commit;
//   - any other cluster (allocated since the last commit) is written in
//     place.
//
// Writes of whole, cluster-aligned clusters are the fastest: nothing is
// copied. The data is durable after the next Sync.
func (v *Volume) WriteAt(p []byte, off int64) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.writableLocked(); err != nil {
		return 0, err
	}
	if off < 0 || off > v.size || int64(len(p)) > v.size-off {
		return 0, fmt.Errorf("write volume %q: %d bytes at %d end beyond its %d bytes: %w",
			v.name, len(p), off, v.size, ErrInvalid)
	}
	cs := v.s.cs
	for n := 0; n < len(p); {
		pos := off + int64(n)
		l, within := pos/cs, pos%cs
		chunk := p[n : n+int(min(int64(len(p)-n), cs-within))]
		if err := v.writeCluster(l, within, chunk); err != nil {
			return n, fmt.Errorf("write volume %q at %d: %w", v.name, pos, err)
		}
		n += len(chunk)
	}
	return len(p), nil
}

// writableLocked returns why WriteAt must refuse, or nil; v.mu is held.
func (v *Volume) writableLocked() error {
	if err := v.liveLocked(); err != nil {
		return err
	}
	if v.readOnly {
		return fmt.Errorf("write volume %q: %w", v.name, ErrReadOnly)
	}
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return v.s.usableLocked()
}

// writeCluster writes chunk at byte within of logical cluster l.
func (v *Volume) writeCluster(l, within int64, chunk []byte) error {
	s := v.s
	phys := v.clusters[l]
	zero := allZero(chunk)
	// whole: the chunk covers every byte of the cluster the volume uses.
	whole := within == 0 && (int64(len(chunk)) == s.cs || l*s.cs+int64(len(chunk)) == v.size)
	switch {
	case phys == 0 && zero:
		return nil
	case phys == 0:
		return v.replaceCluster(l, within, chunk, 0)
	case zero && whole:
		s.mu.Lock()
		s.remapLocked(v, l, 0)
		s.mu.Unlock()
		return nil
	}
	// Decide and write in place under ioMu, so a commit cannot snapshot
	// phys between the decision and the write.
	s.ioMu.RLock()
	s.mu.Lock()
	cow := s.durable.get(uint64(phys) - s.first)
	s.mu.Unlock()
	if cow {
		s.ioMu.RUnlock()
		return v.replaceCluster(l, within, chunk, phys)
	}
	_, err := s.dev.f.WriteAt(chunk, int64(phys)*s.cs+within)
	s.ioMu.RUnlock()
	if err != nil {
		return fmt.Errorf("write cluster %d: %w", phys, err)
	}
	return nil
}

// replaceCluster gives logical cluster l a new physical cluster holding
// the content of old (zeros if old is 0) with chunk written at within,
// then maps it and releases old. If that content is all zeros, l becomes a
// hole instead.
func (v *Volume) replaceCluster(l, within int64, chunk []byte, old uint32) error {
	s := v.s
	buf := chunk
	if int64(len(chunk)) != s.cs {
		bp := s.bufs.Get().(*[]byte)
		defer s.bufs.Put(bp)
		buf = *bp
		if old == 0 {
			clear(buf)
		} else if _, err := s.dev.f.ReadAt(buf, int64(old)*s.cs); err != nil {
			return fmt.Errorf("read cluster %d to copy it: %w", old, err)
		}
		copy(buf[within:], chunk)
		if old != 0 && allZero(buf[:min(s.cs, v.size-l*s.cs)]) {
			s.mu.Lock()
			s.remapLocked(v, l, 0)
			s.mu.Unlock()
			return nil
		}
	}
	p, err := s.allocate()
	if err != nil {
		return err
	}
	if _, err := s.dev.f.WriteAt(buf, int64(p)*s.cs); err != nil {
		s.mu.Lock()
		s.releaseLocked(p)
		s.mu.Unlock()
		return fmt.Errorf("write cluster %d: %w", p, err)
	}
	s.mu.Lock()
	s.remapLocked(v, l, p)
	s.mu.Unlock()
	return nil
}

// allocate reserves a free cluster (next fit, so sequential writers get
// consecutive clusters and the maps stay a few runs long) and returns its
// physical number.
func (s *Store) allocate() (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usableLocked(); err != nil {
		return 0, err
	}
	idx, ok := uint64(0), s.free > 0
	if ok {
		idx, ok = firstClear(s.owned, s.durable, s.cursor, s.n)
	}
	if !ok {
		return 0, fmt.Errorf("%s: all %d clusters are in use: %w", s.dev.path, s.n, ErrNoSpace)
	}
	s.owned.set(idx)
	s.free--
	s.cursor = idx + 1
	return uint32(s.first + idx), nil
}

// remapLocked points logical cluster l of v at physical cluster p (0 for
// a hole) and releases the cluster it pointed at.
func (s *Store) remapLocked(v *Volume, l int64, p uint32) {
	if old := v.clusters[l]; old != 0 {
		s.releaseLocked(old)
	}
	v.clusters[l] = p
	s.dirty = true
}

// releaseLocked drops physical cluster p from the owned set. It becomes
// free now unless committed metadata may still reference it, in which case
// the next commit frees it.
func (s *Store) releaseLocked(p uint32) {
	idx := uint64(p) - s.first
	s.owned.clear(idx)
	if !s.durable.get(idx) {
		s.free++
	}
}
