package volstore

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
)

// Store is an open volume store. Its methods are safe for concurrent use.
//
// Locking order: a Volume's mu, commitMu, ioMu, Store.mu. No code holds
// two volumes' locks at once except Close, which takes them one by one.
// A volume's cluster map changes only with both its mu and Store.mu held,
// so holding either one is enough to read it.
type Store struct {
	dev   *device
	sb    superblock
	cs    int64  // cluster size in bytes
	first uint64 // physical number of the first data cluster
	n     uint64 // number of data clusters

	commitMu sync.Mutex // serializes commits
	// ioMu is held for reading across an in-place cluster write together
	// with its copy-on-write decision, and for writing while a commit takes
	// its snapshot: so a cluster the snapshot references is never written
	// in place after the snapshot.
	ioMu    sync.RWMutex
	mu      sync.Mutex // guards everything below
	volumes map[string]*Volume
	// owned holds clusters mapped by a volume or reserved by a write in
	// progress. durable holds clusters that metadata which is, or may be
	// about to become, the committed generation references: they are never
	// written in place, so a crash always finds them as committed.
	// A cluster may be allocated only if it is in neither.
	owned, durable bitmap
	free           uint64 // data clusters in neither bitmap
	cursor         uint64 // next-fit allocation starting point
	gen            uint64 // generation of the copy in area `active`
	active         int
	failed         error // set by an I/O error in a commit; the store then refuses changes
	dirty          bool  // something changed since the last commit's snapshot

	closed atomic.Bool
	bufs   sync.Pool // *[]byte of one cluster
}

// Open opens the volume store at path for reading and writing. It verifies
// the store as Check does and refuses one with problems (*DamageError,
// matching ErrDamaged), a disk without a store (ErrNotFormatted; use
// Format) and a store in another format version (*VersionError, matching
// ErrUnsupportedVersion). Leaked clusters are not refused: they are free
// and the next commit drops them from the allocation map.
func Open(path string) (*Store, error) {
	dev, err := openDevice(path, true)
	if err != nil {
		return nil, err
	}
	in, err := inspect(dev)
	if err == nil && !in.report.OK() {
		err = &DamageError{Report: in.report}
	}
	if err != nil {
		dev.close()
		return nil, err
	}
	return newStore(dev, in), nil
}

// newStore builds the in-memory state from a verified inspection.
func newStore(dev *device, in *inspection) *Store {
	s := &Store{
		dev: dev, sb: in.sb, cs: int64(in.sb.clusterSize), first: in.sb.firstData(), n: in.sb.dataClusters,
		volumes: make(map[string]*Volume, len(in.state.volumes)),
		owned:   newBitmap(in.sb.dataClusters),
		gen:     in.report.Generation, active: in.area,
	}
	s.bufs.New = func() any { b := make([]byte, s.cs); return &b }
	for i := range in.state.volumes {
		rec := &in.state.volumes[i]
		v := &Volume{s: s, uuid: rec.uuid, name: rec.name, size: int64(rec.size), readOnly: rec.readOnly,
			attrs: rec.attrs, clusters: make([]uint32, clustersFor(rec.size, uint64(s.cs)))}
		for _, r := range rec.runs {
			for k := uint32(0); k < r.count; k++ {
				v.clusters[r.logical+k] = r.physical + k
				s.owned.set(uint64(r.physical+k) - s.first)
			}
		}
		s.volumes[v.name] = v
	}
	s.durable = append(bitmap(nil), s.owned...)
	s.free = s.n - s.owned.count()
	// Leaks, or a copy torn by a crash, are repaired by the next commit
	// (Sync or Close), even if nothing else changes.
	s.dirty = in.report.LeakedClusters > 0 || !in.report.Copies[1-in.area].Valid
	return s
}

// UUID returns the store's UUID, fixed when it was formatted.
func (s *Store) UUID() string { return uuid.UUID(s.sb.uuid).String() }

// ClusterSize returns the allocation unit in bytes.
func (s *Store) ClusterSize() int64 { return s.cs }

// Path returns the disk path the store was opened from.
func (s *Store) Path() string { return s.dev.path }

// Capacity returns the bytes of all data clusters (storageMaximum) and of
// the clusters that can be allocated now (storageAvailable). Both are
// exact multiples of ClusterSize. A cluster replaced by a copy-on-write
// since the last commit counts as used until the next commit.
func (s *Store) Capacity() (maximum, available int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(s.n) * s.cs, int64(s.free) * s.cs
}

// Sync makes every completed write to every volume, and every metadata
// change, durable: data first, then a metadata commit. It writes nothing
// if nothing changed since the last commit.
func (s *Store) Sync() error { return s.commit() }

// Close waits for I/O in progress, commits, and closes the disk. Later
// calls on the store or its volumes return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	vols := s.sortedLocked()
	s.mu.Unlock()
	for _, v := range vols {
		v.mu.Lock()
		defer v.mu.Unlock()
	}
	if s.closed.Load() {
		return fmt.Errorf("close volume store %s: %w", s.dev.path, ErrClosed)
	}
	err := s.commit()
	s.closed.Store(true)
	if cerr := s.dev.close(); err == nil {
		err = cerr
	}
	return err
}

// usableLocked returns why the store cannot change, or nil.
func (s *Store) usableLocked() error {
	if s.closed.Load() {
		return fmt.Errorf("volume store %s: %w", s.dev.path, ErrClosed)
	}
	return s.failed
}

// commit makes the current maps and metadata durable as the next
// generation, unless nothing changed since the last one: snapshot under
// mu, fsync the data the snapshot refers to, write the inactive copy,
// fsync it. Until the commit is known to be done, clusters of both the old
// and the new generation stay in durable.
func (s *Store) commit() error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.ioMu.Lock()
	s.mu.Lock()
	if err := s.usableLocked(); err != nil || !s.dirty {
		s.mu.Unlock()
		s.ioMu.Unlock()
		return err
	}
	s.dirty = false
	state := s.snapshotLocked()
	s.durable.or(state.alloc)
	gen, area := s.gen+1, 1-s.active
	s.mu.Unlock()
	s.ioMu.Unlock()

	payload := encodeMeta(state)
	if err := s.dev.f.Sync(); err != nil {
		return s.fail("flush data before the metadata commit", err)
	}
	if err := writeCopy(s.dev.f, &s.sb, area, gen, payload); err != nil {
		return s.fail("commit", err)
	}
	if err := s.dev.f.Sync(); err != nil {
		return s.fail(fmt.Sprintf("flush metadata copy %s generation %d", areaName(area), gen), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.durable = state.alloc
	s.free = s.n - countUnion(s.owned, s.durable)
	s.gen, s.active = gen, area
	return nil
}

// fail puts the store in the failed state after an I/O error in a commit:
// after a failed fsync the kernel may have dropped the dirty data, so
// nothing written since the last commit can be trusted, and only a reopen
// (which reads the last good generation) is safe.
func (s *Store) fail(what string, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = fmt.Errorf("volume store %s: %s: %w; the store refuses changes until it is closed and reopened",
		s.dev.path, what, err)
	return s.failed
}

// snapshotLocked encodes the in-memory volumes as a metaState whose
// allocation map is exactly the clusters their maps own (a cluster
// reserved by a write in progress is in no map yet, so it stays free in
// this generation).
func (s *Store) snapshotLocked() *metaState {
	m := &metaState{alloc: newBitmap(s.n)}
	for _, v := range s.sortedLocked() {
		rec := volRecord{uuid: v.uuid, name: v.name, size: uint64(v.size), readOnly: v.readOnly, attrs: v.attrs}
		rec.runs = runsOf(v.clusters)
		for _, r := range rec.runs {
			for k := uint32(0); k < r.count; k++ {
				m.alloc.set(uint64(r.physical+k) - s.first)
			}
		}
		m.volumes = append(m.volumes, rec)
	}
	return m
}

// runsOf compresses a cluster map into runs of consecutive clusters.
func runsOf(clusters []uint32) []run {
	var runs []run
	for l, p := range clusters {
		if p == 0 {
			continue
		}
		if k := len(runs) - 1; k >= 0 && runs[k].logical+runs[k].count == uint32(l) &&
			runs[k].physical+runs[k].count == p {
			runs[k].count++
			continue
		}
		runs = append(runs, run{logical: uint32(l), physical: p, count: 1})
	}
	return runs
}

func (s *Store) sortedLocked() []*Volume {
	vols := make([]*Volume, 0, len(s.volumes))
	for _, v := range s.volumes {
		vols = append(vols, v)
	}
	sort.Slice(vols, func(i, j int) bool { return vols[i].name < vols[j].name })
	return vols
}
