// Package settings defines plinth's settings (name, type, default, allowed
// values) and reads and validates their values from the store. A setting
// never written has its default.
package settings

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// Names of the settings.
const (
	DefaultMinCopies      = "default-min-number-of-backing-image-copies"
	DownloadStallTimeout  = "backing-image-download-stall-timeout"
	BackupCompression     = "backup-compression-method"
	BackupConcurrentLimit = "backup-concurrent-limit"
	RestoreConcurrent     = "restore-concurrent-limit"
	MaxImageSizeGiB       = "backing-image-max-size-gib"
	MaxCopies             = "backing-image-max-number-of-copies"
	UploadIdleTimeout     = "backing-image-upload-idle-timeout"
	// StorageMinimalAvailablePercentage is Longhorn's disk reserve: a disk
	// whose available space is at or below this share of its size is under
	// disk pressure and takes no new copy.
	StorageMinimalAvailablePercentage = "storage-minimal-available-percentage"
	// BackupRetryMaxAttempts bounds the attempts of a backup or restore
	// that keeps meeting transient target errors.
	BackupRetryMaxAttempts = "backup-retry-max-attempts"
	// BackupRetryMaxInterval caps, in seconds, the backoff between them.
	BackupRetryMaxInterval = "backup-retry-max-interval"
	// ScrubInterval is how long after its last scrub a ready copy is
	// scrubbed again: whole hours ("168") or a Go duration ("30m", "2s");
	// 0 disables the background scrub. Read it with Store.ScrubInterval.
	ScrubInterval = "backing-image-scrub-interval"
	// ScrubRateMB caps, in MB/s per node, what the background scrub reads.
	ScrubRateMB = "backing-image-scrub-rate-mb"
)

// Definition is a setting's type and rules; Min applies to "int" settings.
type Definition struct {
	apitypes.SettingDefinition
	Min int
}

// Definitions lists every setting, in display order.
var Definitions = []struct {
	Name string
	Def  Definition
}{
	{DefaultMinCopies, Definition{apitypes.SettingDefinition{DisplayName: "Default Minimum Number of Backing Image Copies",
		Description: "The minNumberOfCopies a new backing image gets when its request leaves it 0.",
		Category:    "backing image", Type: "int", Required: true, Default: "1"}, 1}},
	{DownloadStallTimeout, Definition{apitypes.SettingDefinition{DisplayName: "Backing Image Download Stall Timeout",
		Description: "Seconds without receiving a byte after which a download is abandoned and retried.",
		Category:    "backing image", Type: "int", Required: true, Default: "60"}, 1}},
	{BackupCompression, Definition{apitypes.SettingDefinition{DisplayName: "Backup Compression Method",
		Description: "How new backup blocks are compressed. Restores read every method whatever this says.",
		Category:    "backup", Type: "string", Required: true, Default: "lz4", Options: []string{"none", "lz4", "gzip"}}, 0}},
	{BackupConcurrentLimit, Definition{apitypes.SettingDefinition{DisplayName: "Backup Concurrent Limit",
		Description: "Blocks read, compressed and uploaded in parallel by one backup.",
		Category:    "backup", Type: "int", Required: true, Default: "4"}, 1}},
	{RestoreConcurrent, Definition{apitypes.SettingDefinition{DisplayName: "Restore Concurrent Limit",
		Description: "Blocks downloaded and verified in parallel by one restore.",
		Category:    "backup", Type: "int", Required: true, Default: "4"}, 1}},
	{MaxImageSizeGiB, Definition{apitypes.SettingDefinition{DisplayName: "Backing Image Maximum Size (GiB)",
		Description: "The largest image accepted, in GiB: an upload's declared size, a download's length, and a qcow2 image's virtual size. Larger ones are refused.",
		Category:    "backing image", Type: "int", Required: true, Default: "2048"}, 1}},
	{MaxCopies, Definition{apitypes.SettingDefinition{DisplayName: "Backing Image Maximum Number of Copies",
		Description: "The largest minNumberOfCopies a backing image may ask for.",
		Category:    "backing image", Type: "int", Required: true, Default: "16"}, 1}},
	{UploadIdleTimeout, Definition{apitypes.SettingDefinition{DisplayName: "Backing Image Upload Idle Timeout",
		Description: "Seconds an upload may go without receiving a byte before it fails, its partial data is dropped and a new upload may start.",
		Category:    "backing image", Type: "int", Required: true, Default: "60"}, 1}},
	{StorageMinimalAvailablePercentage, Definition{apitypes.SettingDefinition{DisplayName: "Storage Minimal Available Percentage",
		Description: "If a disk's available space is at or below this percentage of its size (or below the disk's storageReserved, if larger), the disk is under disk pressure: it takes no new copy, and new downloads, uploads and restores that could only go there are refused with 507 until space is freed.",
		Category:    "scheduling", Type: "int", Required: true, Default: "10"}, 0}},
	{BackupRetryMaxAttempts, Definition{apitypes.SettingDefinition{DisplayName: "Backup Retry Maximum Attempts",
		Description: "How many times a backup or restore that meets a transient target error (unreachable server, timeout, 5xx) is tried before it ends in Error. 1 means no retry. Permanent errors (bad credentials, conflicting content) end it at once.",
		Category:    "backup", Type: "int", Required: true, Default: "10"}, 1}},
	{BackupRetryMaxInterval, Definition{apitypes.SettingDefinition{DisplayName: "Backup Retry Maximum Interval",
		Description: "The longest wait, in seconds, between two attempts of a failing backup or restore; waits grow exponentially (with jitter) from a few seconds up to this.",
		Category:    "backup", Type: "int", Required: true, Default: "300"}, 1}},
	{ScrubInterval, Definition{apitypes.SettingDefinition{DisplayName: "Backing Image Scrub Interval",
		Description: "How long after its last scrub each ready copy on a node is re-read and checked against its block manifest: a number of hours (168 is a week), or a duration such as 30m or 90s. 0 disables the background scrub (plinth backing-image verify still works). A damaged copy is marked failed, naming its bad blocks, and repaired from another copy or a backup.",
		Category:    "backing image", Type: "string", Required: true, Default: "168"}, 0}},
	{ScrubRateMB, Definition{apitypes.SettingDefinition{DisplayName: "Backing Image Scrub Rate (MB/s)",
		Description: "The most the background scrub reads per second on one node, in MB (10^6 bytes), so it does not starve guests of disk bandwidth. An on-demand verify is not throttled.",
		Category:    "backing image", Type: "int", Required: true, Default: "64"}, 1}},
}

// maxima are the largest values of the int settings that have one.
var maxima = map[string]int{StorageMinimalAvailablePercentage: 100}

// ErrUnknown is returned for a name that is not a setting.
var ErrUnknown = errors.New("unknown setting")

// Lookup returns the definition of name.
func Lookup(name string) (Definition, error) {
	for _, d := range Definitions {
		if d.Name == name {
			return d.Def, nil
		}
	}
	return Definition{}, fmt.Errorf("%w %q", ErrUnknown, name)
}

// Validate checks value against the definition of name.
func Validate(name, value string) error {
	def, err := Lookup(name)
	if err != nil {
		return err
	}
	switch def.Type {
	case "int":
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("setting %s must be an integer, got %q", name, value)
		}
		if n < def.Min {
			return fmt.Errorf("setting %s must be at least %d, got %d", name, def.Min, n)
		}
		if m, ok := maxima[name]; ok && n > m {
			return fmt.Errorf("setting %s must be at most %d, got %d", name, m, n)
		}
	case "string":
		if name == ScrubInterval {
			if _, err := ParseInterval(value); err != nil {
				return fmt.Errorf("setting %s: %w", name, err)
			}
		}
	case "bool":
		if _, err := strconv.ParseBool(value); err != nil {
			return fmt.Errorf("setting %s must be true or false, got %q", name, value)
		}
	}
	if len(def.Options) > 0 && !slices.Contains(def.Options, value) {
		return fmt.Errorf("setting %s must be one of %v, got %q", name, def.Options, value)
	}
	return nil
}

// Store reads and writes setting values.
type Store struct {
	kind *store.Kind[model.Setting]
}

// NewStore wraps the settings kind.
func NewStore(kind *store.Kind[model.Setting]) *Store { return &Store{kind: kind} }

// Get returns the value of name (its default when never set).
func (s *Store) Get(ctx context.Context, name string) (string, error) {
	def, err := Lookup(name)
	if err != nil {
		return "", err
	}
	v, err := s.kind.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return def.Default, nil
	}
	if err != nil {
		return "", err
	}
	return v.Value.Value, nil
}

// Int returns an int setting, falling back to its default if the stored
// value is somehow invalid.
func (s *Store) Int(ctx context.Context, name string) int {
	v, err := s.Get(ctx, name)
	if n, perr := strconv.Atoi(v); err == nil && perr == nil {
		return n
	}
	def, _ := Lookup(name)
	n, _ := strconv.Atoi(def.Default)
	return n
}

// Set validates and stores value.
func (s *Store) Set(ctx context.Context, name, value string) error {
	if err := Validate(name, value); err != nil {
		return err
	}
	_, err := s.kind.Create(ctx, name, model.Setting{Name: name, Value: value})
	if errors.Is(err, store.ErrExists) {
		_, err = s.kind.Mutate(ctx, name, func(m *model.Setting) error { m.Value = value; return nil })
	}
	return err
}
