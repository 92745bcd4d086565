package v2

import (
	"fmt"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// CopyID names one copy: the backing image's name and UUID. It is the
// engine contract's type, so controllers use one ID for both engines.
type CopyID = engine.CopyID

// Copy states, the value of the volume's volstore.AttrState attribute.
const (
	// StateInProgress marks a volume a writer is filling.
	StateInProgress = "in-progress"
	// StateReady marks a finished, read-only copy.
	StateReady = "ready"
)

// Attribute keys plinth adds to the well-known volstore ones.
const (
	attrBackingImage     = "backingImage"
	attrExpectedChecksum = "expectedChecksum"
	attrSourceFormat     = "sourceFormat"
)

// Config describes a copy. Field names and JSON tags follow data engine
// v1's Config where the meaning is the same.
type Config struct {
	// BackingImage is the backing image's name.
	BackingImage string `json:"backingImage"`
	UUID         string `json:"uuid"`
	// Volume is the volume's name in the store (CopyID.String).
	Volume string `json:"volume"`
	// DiskUUID is the volume store's UUID.
	DiskUUID string `json:"diskUUID"`
	// Size is the raw content's length in bytes; VirtualSize equals it.
	Size        int64 `json:"size"`
	VirtualSize int64 `json:"virtualSize"`
	// RealSize is the bytes of the clusters the copy owns.
	RealSize int64 `json:"realSize"`
	// ExpectedChecksum is the SHA-512 the bytes received had to match (for
	// a qcow2 source, the qcow2 file's), or "" when none was given.
	ExpectedChecksum string `json:"expectedChecksum"`
	// CurrentChecksum is the SHA-512 (lowercase hex) of the raw content
	// stored.
	CurrentChecksum string `json:"currentChecksum"`
	// Format is always raw: what the volume holds.
	Format imagefmt.Format `json:"format"`
	// SourceFormat is what was received: raw or qcow2.
	SourceFormat imagefmt.Format `json:"sourceFormat"`
	// State is StateReady for a usable copy.
	State string `json:"state"`
}

// ID is the copy this config describes.
func (c Config) ID() CopyID { return CopyID{Name: c.BackingImage, UUID: c.UUID} }

// volumeName is the copy's volume name; it validates the ID first.
func volumeName(id CopyID) (string, error) {
	if err := id.Validate(); err != nil {
		return "", err
	}
	name := id.String()
	if len(name) > volstore.MaxNameLen {
		return "", fmt.Errorf("copy %s: name and UUID together are %d bytes, more than the %d a v2 volume name can hold; "+
			"use a shorter backing image name", name, len(name), volstore.MaxNameLen)
	}
	return name, nil
}

// copyMeta is what a copy records about itself besides its content.
type copyMeta struct {
	id               CopyID
	expectedChecksum string
	sourceFormat     imagefmt.Format
}

// attrs are the volume attributes of a copy in state, with checksum ""
// while it is in progress.
func (m copyMeta) attrs(state, checksum string) map[string]string {
	a := map[string]string{
		attrBackingImage:       m.id.Name,
		volstore.AttrImageUUID: m.id.UUID,
		volstore.AttrState:     state,
		attrSourceFormat:       string(m.sourceFormat),
	}
	if checksum != "" {
		a[volstore.AttrChecksum] = checksum
	}
	if m.expectedChecksum != "" {
		a[attrExpectedChecksum] = m.expectedChecksum
	}
	return a
}

// configOf reads a volume's Config from its attributes.
func configOf(diskUUID string, v *volstore.Volume) Config {
	a := v.Attrs()
	return Config{
		BackingImage: a[attrBackingImage], UUID: a[volstore.AttrImageUUID], Volume: v.Name(), DiskUUID: diskUUID,
		Size: v.Size(), VirtualSize: v.Size(), RealSize: v.AllocatedBytes(),
		ExpectedChecksum: a[attrExpectedChecksum], CurrentChecksum: a[volstore.AttrChecksum],
		Format: imagefmt.Raw, SourceFormat: imagefmt.Format(a[attrSourceFormat]), State: a[volstore.AttrState],
	}
}
