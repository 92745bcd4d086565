package volstore

import (
	"fmt"
	"maps"
	"strings"

	"github.com/google/uuid"
)

// Well-known attribute keys used by plinth's v2 engine. Attributes are
// free-form; these names only keep callers consistent.
const (
	AttrImageUUID = "imageUUID" // UUID of the backing image the volume holds
	AttrChecksum  = "checksum"  // SHA-512 of the volume's bytes, hex
	AttrState     = "state"     // e.g. "in-progress", "ready", "failed"
)

// Create adds an empty thin volume of size bytes and commits it. The name
// must be unique, 1 to MaxNameLen bytes without NUL or '/'; attrs may be
// nil and must encode within MaxAttrBytes. Thin volumes may together be
// larger than the store; a write fails with ErrNoSpace when no cluster is
// left. The volume is writable until SetReadOnly.
func (s *Store) Create(name string, size int64, attrs map[string]string) (*Volume, error) {
	if err := validateName(name); err != nil {
		return nil, fmt.Errorf("create volume %q: %w", name, err)
	}
	if size <= 0 {
		return nil, fmt.Errorf("create volume %q: size %d must be positive: %w", name, size, ErrInvalid)
	}
	if err := validateSize(uint64(size), uint64(s.cs)); err != nil {
		return nil, fmt.Errorf("create volume %q: %w", name, err)
	}
	if err := validateAttrs(attrs); err != nil {
		return nil, fmt.Errorf("create volume %q: %w", name, err)
	}
	s.mu.Lock()
	if err := s.usableLocked(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if _, ok := s.volumes[name]; ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("create volume %q in %s: %w", name, s.dev.path, ErrExists)
	}
	if len(s.volumes) >= int(s.sb.maxVolumes) {
		s.mu.Unlock()
		return nil, fmt.Errorf("create volume %q in %s: %d volumes: %w", name, s.dev.path, len(s.volumes), ErrTooManyVolumes)
	}
	v := &Volume{s: s, uuid: uuid.New(), name: name, size: size, attrs: cloneAttrs(attrs),
		clusters: make([]uint32, clustersFor(uint64(size), uint64(s.cs)))}
	s.volumes[name] = v
	s.dirty = true
	s.mu.Unlock()
	if err := s.commit(); err != nil {
		return nil, fmt.Errorf("create volume %q: %w", name, err)
	}
	return v, nil
}

// Get returns the volume named name, or an error wrapping ErrNotFound.
// Every call returns the same *Volume for the same volume.
func (s *Store) Get(name string) (*Volume, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, fmt.Errorf("get volume %q: %w", name, ErrClosed)
	}
	v, ok := s.volumes[name]
	if !ok {
		return nil, fmt.Errorf("volume %q in %s: %w", name, s.dev.path, ErrNotFound)
	}
	return v, nil
}

// List returns every volume, sorted by name.
func (s *Store) List() []*Volume {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedLocked()
}

// Delete removes the volume named name, frees its clusters and commits.
// It waits for I/O in progress on the volume; later calls on its handle
// return ErrDeleted.
func (s *Store) Delete(name string) error {
	v, err := s.Get(name)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	s.mu.Lock()
	if err := s.usableLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	if v.deleted {
		s.mu.Unlock()
		return fmt.Errorf("delete volume %q in %s: %w", name, s.dev.path, ErrNotFound)
	}
	for l, p := range v.clusters {
		if p != 0 {
			s.remapLocked(v, int64(l), 0)
		}
	}
	v.deleted = true
	s.dirty = true
	delete(s.volumes, name)
	s.mu.Unlock()
	if err := s.commit(); err != nil {
		return fmt.Errorf("delete volume %q: %w", name, err)
	}
	return nil
}

// SetAttrs replaces the attributes of the volume named name and commits.
func (s *Store) SetAttrs(name string, attrs map[string]string) error {
	if err := validateAttrs(attrs); err != nil {
		return fmt.Errorf("set attributes of volume %q: %w", name, err)
	}
	return s.change(name, func(v *Volume) { v.attrs = cloneAttrs(attrs) })
}

// SetReadOnly sets or clears the read-only flag of the volume named name
// and commits, after waiting for writes in progress: once it returns with
// readOnly true, the volume's content is durable and no write changes it.
func (s *Store) SetReadOnly(name string, readOnly bool) error {
	return s.change(name, func(v *Volume) { v.readOnly = readOnly })
}

// change applies fn to a volume's metadata with both locks held, then
// commits.
func (s *Store) change(name string, fn func(v *Volume)) error {
	v, err := s.Get(name)
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	s.mu.Lock()
	if err := s.usableLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	if v.deleted {
		s.mu.Unlock()
		return fmt.Errorf("volume %q in %s: %w", name, s.dev.path, ErrNotFound)
	}
	fn(v)
	s.dirty = true
	s.mu.Unlock()
	if err := s.commit(); err != nil {
		return fmt.Errorf("update volume %q: %w", name, err)
	}
	return nil
}

// validateName accepts 1 to MaxNameLen bytes with no NUL or '/'.
func validateName(name string) error {
	if name == "" || len(name) > MaxNameLen || strings.ContainsAny(name, "\x00/") {
		return fmt.Errorf("name %q must be 1 to %d bytes without NUL or '/': %w", name, MaxNameLen, ErrInvalid)
	}
	return nil
}

// validateSize accepts sizes whose cluster count fits the map encoding.
func validateSize(size, clusterSize uint64) error {
	if size == 0 || clustersFor(size, clusterSize) > maxClusterNumber {
		return fmt.Errorf("size %d must be between 1 and %d bytes: %w", size, maxClusterNumber*clusterSize, ErrInvalid)
	}
	return nil
}

func validateAttrs(attrs map[string]string) error {
	if n := attrsSize(attrs); n > MaxAttrBytes {
		return fmt.Errorf("attributes encode to %d bytes, more than %d: %w", n, MaxAttrBytes, ErrInvalid)
	}
	return nil
}

func clustersFor(size, clusterSize uint64) uint64 { return (size + clusterSize - 1) / clusterSize }

func cloneAttrs(a map[string]string) map[string]string {
	if a == nil {
		return map[string]string{}
	}
	return maps.Clone(a)
}
