// Package model holds the resources plinth persists in etcd. The API writes
// the spec fields; controllers write Status. Wire shapes live in apitypes.
package model

import (
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// Kind names (the etcd key segment of each resource).
const (
	KindBackingImages = "backingimages"
	KindNodes         = "nodes"
	KindSettings      = "settings"
	KindBackupTargets = "backuptargets"
	KindBackups       = "backupbackingimages"
	KindSecrets       = "secrets"
)

// BackingImage is a named, immutable image and where its copies live.
type BackingImage struct {
	Name              string            `json:"name"`
	UUID              string            `json:"uuid"`
	SourceType        string            `json:"sourceType"`
	Parameters        map[string]string `json:"parameters"`
	ExpectedChecksum  string            `json:"expectedChecksum"`
	MinNumberOfCopies int               `json:"minNumberOfCopies"`
	DataEngine        string            `json:"dataEngine"`
	DiskSelector      []string          `json:"diskSelector"`
	NodeSelector      []string          `json:"nodeSelector"`
	Secret            string            `json:"secret"`
	SecretNamespace   string            `json:"secretNamespace"`
	CreatedAt         time.Time         `json:"createdAt"`
	// DeletionRequested is set by DELETE; the controller removes the copies
	// and then the record.
	DeletionRequested *time.Time `json:"deletionRequested,omitempty"`

	Status BackingImageStatus `json:"status"`
}

// BackingImageStatus is what the controllers observed.
type BackingImageStatus struct {
	CurrentChecksum string `json:"currentChecksum"`
	Size            int64  `json:"size"`
	VirtualSize     int64  `json:"virtualSize"`
	Format          string `json:"format"`
	// Copies is keyed by disk UUID.
	Copies map[string]*Copy `json:"copies"`
	// Message says why no copy could be placed (a selector no node or disk
	// matches) and what to do; empty when placement is not blocked.
	Message string `json:"message,omitempty"`
}

// Copy is one copy of a backing image on one disk.
type Copy struct {
	NodeID         string    `json:"nodeID"`
	DiskName       string    `json:"diskName"`
	State          string    `json:"state"`
	Progress       int       `json:"progress"`
	Message        string    `json:"message"`
	LastTransition time.Time `json:"lastTransition"`
	DataEngine     string    `json:"dataEngine"`
	// Cleanup marks a copy for removal (backingImageCleanup); the
	// controller deletes its files and then its record.
	Cleanup bool `json:"cleanup,omitempty"`
}

// SetState changes the copy's state, stamping the transition time when the
// state actually changes.
func (c *Copy) SetState(state, message string, now time.Time) {
	if c.State != state {
		c.LastTransition = now
	}
	c.State = state
	c.Message = message
	if state == apitypes.StateReady {
		c.Progress = 100
	}
}

// ReadyCopies counts the copies in state ready.
func (b *BackingImage) ReadyCopies() int {
	n := 0
	for _, c := range b.Status.Copies {
		if c.State == apitypes.StateReady {
			n++
		}
	}
	return n
}

// Node is one plinth node and its disks (keyed by disk name).
type Node struct {
	Name    string                       `json:"name"`
	Address string                       `json:"address"`
	Disks   map[string]apitypes.DiskSpec `json:"disks"`
	Status  NodeStatus                   `json:"status"`
}

// NodeStatus is what the node controller observed of each disk.
type NodeStatus struct {
	Disks map[string]DiskStatus `json:"disks"`
}

// DiskStatus is one disk's identity, capacity and health.
type DiskStatus struct {
	DiskUUID         string    `json:"diskUUID"`
	StorageMaximum   int64     `json:"storageMaximum"`
	StorageAvailable int64     `json:"storageAvailable"`
	Ready            bool      `json:"ready"`
	Message          string    `json:"message"`
	CheckedAt        time.Time `json:"checkedAt"`
}

// Setting is a stored setting value (definitions live in package settings).
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}
