package apitypes

// Disk types.
const (
	DiskTypeFilesystem = "filesystem"
	DiskTypeBlock      = "block"
)

// Condition is a Longhorn-style condition (Ready, Schedulable, ...).
type Condition struct {
	Type               string `json:"type"`
	Status             string `json:"status"` // "True" | "False" | "Unknown"
	LastProbeTime      string `json:"lastProbeTime"`
	LastTransitionTime string `json:"lastTransitionTime"`
	Reason             string `json:"reason"`
	Message            string `json:"message"`
}

// Node is the node resource with its disks keyed by disk name.
type Node struct {
	Resource
	Name            string               `json:"name"`
	Address         string               `json:"address"`
	AllowScheduling bool                 `json:"allowScheduling"`
	Disks           map[string]DiskInfo  `json:"disks"`
	Conditions      map[string]Condition `json:"conditions"`
	Tags            []string             `json:"tags"`
	// plinth's additions. State is "up" while the node holds its etcd
	// lease and "down" once the lease lapsed ("" before any node looked);
	// StateSince (RFC 3339) is when that began. Address above is the
	// node's advertise URL. Copies counts the backing-image copies on the
	// node's disks, ReadyCopies the ready ones among them.
	State       string `json:"state"`
	StateSince  string `json:"stateSince"`
	Version     string `json:"version"`
	Copies      int    `json:"copies"`
	ReadyCopies int    `json:"readyCopies"`
}

// DiskSpec is what a user sets for a disk in diskUpdate.
type DiskSpec struct {
	Path              string   `json:"path"`
	DiskType          string   `json:"diskType"`
	AllowScheduling   bool     `json:"allowScheduling"`
	EvictionRequested bool     `json:"evictionRequested"`
	StorageReserved   int64    `json:"storageReserved"`
	Tags              []string `json:"tags"`
	// Size is plinth's addition, for diskType block only: the size in
	// bytes to create the disk's file with when path does not exist yet.
	Size int64 `json:"size,omitempty"`
}

// DiskInfo is a disk's spec plus its observed status.
type DiskInfo struct {
	DiskSpec
	DiskUUID         string               `json:"diskUUID"`
	StorageMaximum   int64                `json:"storageMaximum"`
	StorageAvailable int64                `json:"storageAvailable"`
	StorageScheduled int64                `json:"storageScheduled"`
	Conditions       map[string]Condition `json:"conditions"`
}

// DiskUpdateInput is the body of ?action=diskUpdate: the whole desired set
// of disks keyed by name (disks left out are removed when they hold no copy).
type DiskUpdateInput struct {
	Disks map[string]DiskSpec `json:"disks"`
}

// Setting is the setting resource.
type Setting struct {
	Resource
	Name       string            `json:"name"`
	Value      string            `json:"value"`
	Definition SettingDefinition `json:"definition"`
}

// SettingDefinition describes a setting: its type ("string", "int",
// "bool", "deprecated"), default, allowed values and meaning.
type SettingDefinition struct {
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	ReadOnly    bool     `json:"readOnly"`
	Default     string   `json:"default"`
	Options     []string `json:"options"`
}

// SettingInput is the body of PUT /v1/settings/{name}.
type SettingInput struct {
	Value string `json:"value"`
}
