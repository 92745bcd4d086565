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
	// KindNodeLeases holds one key per live daemon, /plinth/nodeleases/<node>,
	// attached to that daemon's etcd lease: etcd deletes it when the lease
	// lapses. Its value is a NodeRegistration.
	KindNodeLeases = "nodeleases"
)

// Node states (NodeStatus.State).
const (
	NodeUp   = "up"
	NodeDown = "down"
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

// Node is one plinth node and its disks (keyed by disk name). Address is
// the URL other nodes use for its API (--advertise-url), recorded by the
// node itself when it starts.
type Node struct {
	Name    string                       `json:"name"`
	Address string                       `json:"address"`
	Disks   map[string]apitypes.DiskSpec `json:"disks"`
	Status  NodeStatus                   `json:"status"`
}

// NodeStatus is what the node controllers observed: this node's disks
// (written by the node itself) and its membership (written by any live
// node that sees its lease key come or go).
type NodeStatus struct {
	Disks map[string]DiskStatus `json:"disks"`
	// State is NodeUp while the node's lease key exists, NodeDown once it
	// is gone; empty until a node controller has looked.
	State string `json:"state,omitempty"`
	// StateSince is when State began: for up, when the node registered
	// (its own clock); for down, when a live node saw the lease gone.
	StateSince time.Time `json:"stateSince,omitempty"`
	// Version is the plinth version the node registered with.
	Version string `json:"version,omitempty"`
	// StateRevision is the etcd revision of the lease view that decided
	// State; a writer whose view is older leaves the record alone, so a
	// stale observer cannot undo a newer one.
	StateRevision int64 `json:"stateRevision,omitempty"`
}

// NodeRegistration is the value of a node's lease key: what the node
// said about itself when it registered.
type NodeRegistration struct {
	Address      string    `json:"address"`
	Version      string    `json:"version"`
	RegisteredAt time.Time `json:"registeredAt"`
}

// DiskStatus is one disk's identity, capacity and health. Pressure says
// why the disk is under disk pressure (its available space is at or below
// its reserve); it is empty when the disk is not.
type DiskStatus struct {
	DiskUUID         string    `json:"diskUUID"`
	StorageMaximum   int64     `json:"storageMaximum"`
	StorageAvailable int64     `json:"storageAvailable"`
	Ready            bool      `json:"ready"`
	Message          string    `json:"message"`
	Pressure         string    `json:"pressure,omitempty"`
	CheckedAt        time.Time `json:"checkedAt"`
}

// Setting is a stored setting value (definitions live in package settings).
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}
