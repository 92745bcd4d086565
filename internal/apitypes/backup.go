package apitypes

// Backup backing image states, as Longhorn names them.
const (
	BackupStateNew        = ""
	BackupStatePending    = "Pending"
	BackupStateInProgress = "InProgress"
	BackupStateCompleted  = "Completed"
	BackupStateError      = "Error"
	BackupStateDeleting   = "Deleting"
)

// BackupBackingImage is the backupBackingImage resource: one backup of one
// backing image on one backup target.
type BackupBackingImage struct {
	Resource
	Name              string            `json:"name"`
	BackingImageName  string            `json:"backingImageName"`
	BackupTargetName  string            `json:"backupTargetName"`
	State             string            `json:"state"`
	Progress          int               `json:"progress"`
	Error             string            `json:"error"`
	URL               string            `json:"url"`
	Created           string            `json:"created"`
	Size              int64             `json:"size"`
	Labels            map[string]string `json:"labels"`
	Messages          map[string]string `json:"messages"`
	CompressionMethod string            `json:"compressionMethod"`
	Secret            string            `json:"secret"`
	SecretNamespace   string            `json:"secretNamespace"`
	// Checksum (SHA-512 of the image) and UserCreated are plinth's additions.
	Checksum    string `json:"checksum"`
	UserCreated bool   `json:"userCreated"`
}

// BackupBackingImageCreateInput is the body of
// ?action=backupBackingImageCreate; every field is optional.
type BackupBackingImageCreateInput struct {
	BackupTargetName string            `json:"backupTargetName"`
	Name             string            `json:"name"`
	Labels           map[string]string `json:"labels"`
}

// BackupBackingImageBatchCreateInput is the body of
// POST /v1/backingimages?action=backupBackingImageBatchCreate.
type BackupBackingImageBatchCreateInput struct {
	BackingImageNames []string `json:"backingImageNames"`
	BackupTargetName  string   `json:"backupTargetName"`
}

// BatchItemError is a per-item failure in a batch reply.
type BatchItemError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// BackupBackingImageBatchResult is one item of the batch reply: either
// BackupBackingImage or Error is set.
type BackupBackingImageBatchResult struct {
	BackingImageName   string              `json:"backingImageName"`
	BackupBackingImage *BackupBackingImage `json:"backupBackingImage,omitempty"`
	Error              *BatchItemError     `json:"error,omitempty"`
}

// BackingImageRestoreInput is the body of ?action=backupBackingImageRestore.
type BackingImageRestoreInput struct {
	Name            string `json:"name"`
	DataEngine      string `json:"dataEngine"`
	Secret          string `json:"secret"`
	SecretNamespace string `json:"secretNamespace"`
}

// BackupTarget is the backupTarget resource. PollInterval is written as a
// Go duration string ("5m0s"), as Longhorn renders it; input accepts integer
// seconds ("300") too.
type BackupTarget struct {
	Resource
	Name             string `json:"name"`
	BackupTargetURL  string `json:"backupTargetURL"`
	CredentialSecret string `json:"credentialSecret"`
	PollInterval     string `json:"pollInterval"`
	Available        bool   `json:"available"`
	Message          string `json:"message"`
}

// BackupTargetInput is the body of POST /v1/backuptargets and of
// ?action=backupTargetUpdate.
type BackupTargetInput struct {
	Name             string `json:"name"`
	BackupTargetURL  string `json:"backupTargetURL"`
	CredentialSecret string `json:"credentialSecret"`
	PollInterval     string `json:"pollInterval"`
}

// Secret is the secret resource: its keys, never its values.
type Secret struct {
	Resource
	Name string   `json:"name"`
	Keys []string `json:"keys"`
}

// SecretCreateInput is the body of POST /v1/secrets.
type SecretCreateInput struct {
	Name string            `json:"name"`
	Data map[string]string `json:"data"`
}

// BackupVerifyInput is the body of ?action=backupBackingImageVerify; an
// empty body is a plain verify.
type BackupVerifyInput struct {
	// Repair rewrites every bad block from a ready local copy of the same
	// image (same SHA-512 as the backup); without one the action is a 409.
	Repair bool `json:"repair"`
}

// BackupVerifyReport is the reply of ?action=backupBackingImageVerify: what
// reading every block of a backup found. A plain verify writes nothing to
// the target; bad blocks are remembered so the next backup of their
// content uploads them again. With repair, BadBlocks is what is still bad
// after the repair.
type BackupVerifyReport struct {
	Name          string     `json:"name"`
	Blocks        int        `json:"blocks"`
	BadBlocks     []BadBlock `json:"badBlocks"`
	Checksum      string     `json:"checksum"`
	ChecksumMatch bool       `json:"checksumMatch"`
	OK            bool       `json:"ok"`
	// Repaired counts the blocks a repair rewrote (0 without repair).
	Repaired int `json:"repaired"`
	// Unrepaired lists the bad blocks a repair could not rewrite, and why.
	Unrepaired []BadBlock `json:"unrepaired"`
	// RepairSource names the backing image whose local copy a repair read.
	RepairSource string `json:"repairSource,omitempty"`
}

// BadBlock names one block that failed verification and why.
type BadBlock struct {
	Offset int64  `json:"offset"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}
