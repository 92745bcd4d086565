package node

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
)

// DefaultMinimalAvailablePercent is the disk reserve used when no settings
// store is wired (tests): the default of the setting
// storage-minimal-available-percentage.
const DefaultMinimalAvailablePercent = 25

// Room is a disk's capacity against its reserve. The reserve is the larger
// of MinimalPercent of the disk's size (setting
// storage-minimal-available-percentage, Longhorn's rule) and the disk's own
// storageReserved.
type Room struct {
	Maximum         int64
	Available       int64
	Reserve         int64
	MinimalPercent  int
	StorageReserved int64
}

// NewRoom computes the reserve of a disk of maximum bytes with available
// bytes free.
func NewRoom(maximum, available, storageReserved int64, minimalPercent int) Room {
	pct := int64(minimalPercent)
	// maximum*pct/100 without overflowing for huge disks.
	reserve := maximum/100*pct + maximum%100*pct/100
	return Room{Maximum: maximum, Available: available, Reserve: max(reserve, storageReserved),
		MinimalPercent: minimalPercent, StorageReserved: storageReserved}
}

// HasRoom reports whether need more bytes can be written while leaving
// more than the reserve free: a disk whose available space is at or below
// its reserve (Longhorn's DiskPressure) has no room, nor has a disk of
// unknown size.
func (r Room) HasRoom(need int64) bool {
	return r.Maximum > 0 && r.Available > 0 && r.Available-max(need, 0) > r.Reserve
}

// Explain says, for disk name at path on node, how much is free against
// the reserve (and need, when it is more than 0) and what to do about it.
func (r Room) Explain(name, path, node string, need int64) string {
	short := "at or below its reserve"
	if need > 0 && r.Available > r.Reserve {
		short = fmt.Sprintf("so writing %s would leave less than its reserve", Bytes(need))
	}
	return fmt.Sprintf("disk %s (%s) on node %s has %s available, %s of %s, "+
		"the larger of %d%% of its size %s (setting %s) and its storageReserved %s: "+
		"free space on the disk, add a disk (plinth node disk-update), or lower the setting",
		name, path, node, Bytes(r.Available), short, Bytes(r.Reserve), r.MinimalPercent, Bytes(r.Maximum),
		settings.StorageMinimalAvailablePercentage, Bytes(r.StorageReserved))
}

// Bytes formats n as exact bytes with a binary-prefixed approximation,
// e.g. "3221225472 bytes (3.0 GiB)".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%d bytes (%.1f %ciB)", n, v, "KMGTPE"[i-1])
}

// MinimalAvailablePercent reads the disk reserve setting; without a store
// (tests) it is the setting's default.
func MinimalAvailablePercent(ctx context.Context, s *settings.Store) int {
	if s == nil {
		return DefaultMinimalAvailablePercent
	}
	return s.Int(ctx, settings.StorageMinimalAvailablePercentage)
}

// checkPressure flags a ready disk whose available space is at or below
// its reserve, in its status and its registry entry, and logs when a disk
// comes under or out of pressure.
func (c *Controller) checkPressure(name string, spec apitypes.DiskSpec, pct int, prev model.DiskStatus, st *model.DiskStatus, ref *DiskRef) {
	room := NewRoom(st.StorageMaximum, st.StorageAvailable, spec.StorageReserved, pct)
	if !room.HasRoom(0) {
		st.Pressure = room.Explain(name, spec.Path, c.NodeID, 0)
		ref.Pressure = st.Pressure
	}
	if c.Log == nil {
		return
	}
	switch {
	case st.Pressure != "" && prev.Pressure == "":
		c.Log.Warn("disk pressure: the disk takes no new copy", "disk", name, "reason", st.Pressure)
	case st.Pressure == "" && prev.Pressure != "":
		c.Log.Info("disk pressure is over: the disk takes new copies again", "disk", name,
			"available", st.StorageAvailable, "reserve", room.Reserve)
	}
}

// CapacityFunc returns a disk's live maximum and available bytes; ok is
// false when they cannot be read.
type CapacityFunc func(DiskRef) (maximum, available int64, ok bool)

// FindRoom returns the first of candidates with room for need more bytes
// above its reserve at minimalPercent, by the live capacity that capacity
// reads. When none has room, ok is false and reasons says, for each
// candidate, why (see Room.Explain); a disk whose capacity cannot be read
// counts as having no room.
func FindRoom(candidates []DiskRef, need int64, minimalPercent int, node string, capacity CapacityFunc) (found DiskRef, reasons []string, ok bool) {
	for _, d := range candidates {
		maximum, available, read := capacity(d)
		if !read {
			reasons = append(reasons, fmt.Sprintf("disk %s (%s) on node %s: its free space cannot be read; check the disk", d.Name, d.Spec.Path, node))
			continue
		}
		room := NewRoom(maximum, available, d.Spec.StorageReserved, minimalPercent)
		if room.HasRoom(need) {
			return d, nil, true
		}
		reasons = append(reasons, room.Explain(d.Name, d.Spec.Path, node, need))
	}
	return DiskRef{}, reasons, false
}

// LiveCapacity reads a ready disk's capacity now (see Capacity).
func (r *Registry) LiveCapacity(d DiskRef) (maximum, available int64, ok bool) {
	return r.Capacity(d.UUID)
}
