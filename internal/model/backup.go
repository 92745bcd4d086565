package model

import "time"

// DefaultTargetName is the backup target that always exists.
const DefaultTargetName = "default"

// BackupTarget is a named remote backup store.
type BackupTarget struct {
	Name             string `json:"name"`
	URL              string `json:"url"`
	CredentialSecret string `json:"credentialSecret"`
	// PollSeconds is how often the target is checked and listed; 0 means
	// only on request.
	PollSeconds int `json:"pollSeconds"`
	// SyncRequestedAt is bumped by backupTargetSync and updates.
	SyncRequestedAt time.Time `json:"syncRequestedAt"`
	// DeletionRequested is set by DELETE; the controller removes the
	// target's local backup records, then the target.
	DeletionRequested *time.Time `json:"deletionRequested,omitempty"`

	Status BackupTargetStatus `json:"status"`
}

// BackupTargetStatus is what the target controller observed.
type BackupTargetStatus struct {
	Available bool      `json:"available"`
	Message   string    `json:"message"`
	CheckedAt time.Time `json:"checkedAt"`
	// SyncedURL is the URL the local records were last synced from; a
	// different spec URL means the records must be re-synced.
	SyncedURL    string    `json:"syncedURL"`
	LastSyncedAt time.Time `json:"lastSyncedAt"`
}

// Secret holds credentials. Its values never leave the server except to
// the driver that needs them.
type Secret struct {
	Name string            `json:"name"`
	Data map[string]string `json:"data"`
}

// Backup is one backup backing image (BBI): one backing image on one
// target. The remote backup is named after the backing image.
type Backup struct {
	Name             string            `json:"name"`
	BackingImageName string            `json:"backingImageName"`
	BackupTargetName string            `json:"backupTargetName"`
	UserCreated      bool              `json:"userCreated"`
	Labels           map[string]string `json:"labels"`
	CreatedAt        time.Time         `json:"createdAt"`
	// DeletionRequested is set by DELETE; LocalOnly keeps the remote data.
	DeletionRequested *time.Time `json:"deletionRequested,omitempty"`
	LocalOnly         bool       `json:"localOnly,omitempty"`
	// TargetURL is the URL of the target the backup was made on or found
	// on. When the target's URL changes the record is Hidden (kept, left
	// out of lists, its uniqueness index entry released) and it returns,
	// with its name, when the target's URL is set back.
	TargetURL string `json:"targetURL,omitempty"`
	Hidden    bool   `json:"hidden,omitempty"`

	Status BackupStatus `json:"status"`
}

// BackupStatus is what the backup controller observed.
type BackupStatus struct {
	State             string            `json:"state"`
	Progress          int               `json:"progress"`
	Error             string            `json:"error"`
	URL               string            `json:"url"`
	Size              int64             `json:"size"`
	Checksum          string            `json:"checksum"`
	CompressionMethod string            `json:"compressionMethod"`
	BackupCreatedAt   string            `json:"backupCreatedAt"`
	Messages          map[string]string `json:"messages"`
	RemoteLabels      map[string]string `json:"remoteLabels"`
	// Attempt counts the failed attempts of a backup that is being
	// retried after transient errors; RetryAt is when the next one starts.
	// Both survive a restart, so the retry budget does too.
	Attempt int        `json:"attempt,omitempty"`
	RetryAt *time.Time `json:"retryAt,omitempty"`
	// Stamp identifies the remote cfg version last read, so a sync only
	// reloads cfgs that changed.
	StampSize    int64     `json:"stampSize"`
	StampModTime time.Time `json:"stampModTime"`
}

// BackupIndexKey is the etcd key that makes (target, image) unique among
// backups; its value is the owning backup's name.
func BackupIndexKey(target, image string) string {
	return "/plinth/index/backups/" + target + "/" + image
}
