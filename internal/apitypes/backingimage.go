package apitypes

// Backing-image copy states (per disk), as Longhorn names them.
const (
	StatePending    = "pending"
	StateInProgress = "in-progress"
	StateReady      = "ready"
	StateFailed     = "failed"
	StateUnknown    = "unknown"
)

// Source types of a backing image's first copy.
const (
	SourceDownload = "download"
	SourceUpload   = "upload"
	SourceRestore  = "restore"
	SourceClone    = "clone"
)

// Data engines.
const (
	DataEngineV1 = "v1"
	DataEngineV2 = "v2"
)

// BackingImage is the backingImage resource.
type BackingImage struct {
	Resource
	Name              string                     `json:"name"`
	UUID              string                     `json:"uuid"`
	SourceType        string                     `json:"sourceType"`
	Parameters        map[string]string          `json:"parameters"`
	ExpectedChecksum  string                     `json:"expectedChecksum"`
	CurrentChecksum   string                     `json:"currentChecksum"`
	Size              int64                      `json:"size"`
	VirtualSize       int64                      `json:"virtualSize"`
	MinNumberOfCopies int                        `json:"minNumberOfCopies"`
	DataEngine        string                     `json:"dataEngine"`
	DiskSelector      []string                   `json:"diskSelector"`
	NodeSelector      []string                   `json:"nodeSelector"`
	DiskFileStatusMap map[string]*DiskFileStatus `json:"diskFileStatusMap"`
	Secret            string                     `json:"secret"`
	SecretNamespace   string                     `json:"secretNamespace"`
	DeletionTimestamp string                     `json:"deletionTimestamp"`
	// Created is plinth's addition: when the image was created (RFC 3339).
	Created string `json:"created"`
	// Message is plinth's addition: why no copy can be placed (a
	// nodeSelector or diskSelector nothing matches) and what to do; empty
	// when placement is not blocked.
	Message string `json:"message"`
}

// DiskFileStatus is the state of one copy on one disk (keyed by disk UUID).
type DiskFileStatus struct {
	State                   string `json:"state"`
	Progress                int    `json:"progress"`
	Message                 string `json:"message"`
	LastStateTransitionTime string `json:"lastStateTransitionTime"`
	DataEngine              string `json:"dataEngine"`
}

// BackingImageCreateInput is the body of POST /v1/backingimages.
type BackingImageCreateInput struct {
	Name              string            `json:"name"`
	SourceType        string            `json:"sourceType"`
	Parameters        map[string]string `json:"parameters"`
	ExpectedChecksum  string            `json:"expectedChecksum"`
	MinNumberOfCopies int               `json:"minNumberOfCopies"`
	DataEngine        string            `json:"dataEngine"`
	DiskSelector      []string          `json:"diskSelector"`
	NodeSelector      []string          `json:"nodeSelector"`
	Secret            string            `json:"secret"`
	SecretNamespace   string            `json:"secretNamespace"`
}

// BackingImageCleanupInput is the body of ?action=backingImageCleanup:
// the UUIDs of the disks whose copies to remove.
type BackingImageCleanupInput struct {
	Disks []string `json:"disks"`
}

// UpdateMinNumberOfCopiesInput is the body of ?action=updateMinNumberOfCopies.
type UpdateMinNumberOfCopiesInput struct {
	MinNumberOfCopies int `json:"minNumberOfCopies"`
}
