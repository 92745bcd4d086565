// Package node keeps this node's record and disks: it opens every disk the
// node's spec lists, reports identity, capacity and health, and offers the
// open disks to the other controllers through a Registry.
package node

import (
	"slices"
	"sort"
	"sync"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/engine"
)

// DiskRef is one open, ready disk of this node: a filesystem disk (data
// engine v1) or a block disk (data engine v2), driven through Disk either
// way; Disk.Engine() and Spec.DiskType tell which. Pressure, when not
// empty, says why the disk is under disk pressure (see Room).
type DiskRef struct {
	Name      string
	UUID      string
	Spec      apitypes.DiskSpec
	Disk      engine.Disk
	Available int64
	Pressure  string
}

// Registry is the set of this node's ready disks. Safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	byUUID map[string]DiskRef
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byUUID: map[string]DiskRef{}} }

// replace swaps in the current set of ready disks and reports whether the
// set changed (a disk came, went, changed its spec, or came under or out
// of disk pressure; free space alone does not count).
func (r *Registry) replace(disks []DiskRef) bool {
	m := make(map[string]DiskRef, len(disks))
	for _, d := range disks {
		m[d.UUID] = d
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := len(m) != len(r.byUUID)
	for uuid, d := range m {
		old, ok := r.byUUID[uuid]
		if !ok || old.Name != d.Name || !sameSpec(old.Spec, d.Spec) || (old.Pressure == "") != (d.Pressure == "") {
			changed = true
		}
	}
	r.byUUID = m
	return changed
}

func sameSpec(a, b apitypes.DiskSpec) bool {
	return a.Path == b.Path && a.DiskType == b.DiskType && a.AllowScheduling == b.AllowScheduling &&
		a.StorageReserved == b.StorageReserved && slices.Equal(a.Tags, b.Tags)
}

// Get returns the ready disk with uuid.
func (r *Registry) Get(uuid string) (DiskRef, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.byUUID[uuid]
	return d, ok
}

// Schedulable returns the ready disks of diskType that allow scheduling,
// carry every tag in selector and are not under disk pressure, the one
// with the most free space first.
func (r *Registry) Schedulable(diskType string, selector []string) []DiskRef {
	out := r.Candidates(diskType, selector)
	return slices.DeleteFunc(out, func(d DiskRef) bool { return d.Pressure != "" })
}

// Candidates returns the ready disks of diskType that allow scheduling and
// carry every tag in selector, under disk pressure or not, the one with
// the most free space first.
func (r *Registry) Candidates(diskType string, selector []string) []DiskRef {
	return r.filter(func(d DiskRef) bool {
		return d.Spec.DiskType == diskType && d.Spec.AllowScheduling && hasAllTags(d.Spec.Tags, selector)
	})
}

// All returns every ready disk, whether it allows scheduling or not, the
// one with the most free space first.
func (r *Registry) All() []DiskRef {
	return r.filter(func(DiskRef) bool { return true })
}

func (r *Registry) filter(keep func(DiskRef) bool) []DiskRef {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []DiskRef
	for _, d := range r.byUUID {
		if keep(d) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Available != out[j].Available {
			return out[i].Available > out[j].Available
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func hasAllTags(tags, selector []string) bool {
	for _, s := range selector {
		if !slices.Contains(tags, s) {
			return false
		}
	}
	return true
}

// Capacity returns the live maximum and available bytes of a ready disk
// (statfs for a filesystem disk, the volume store's exact counts for a
// block disk), so reports need not wait for the next periodic pass. ok is
// false for an unknown disk or one whose capacity cannot be read.
func (r *Registry) Capacity(uuid string) (maximum, available int64, ok bool) {
	d, found := r.Get(uuid)
	if !found || d.Disk == nil {
		return 0, 0, false
	}
	maximum, available, err := d.Disk.Capacity()
	if err != nil {
		return 0, 0, false
	}
	return maximum, available, true
}
