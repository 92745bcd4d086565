package engine

import (
	"fmt"
	"regexp"
)

// CopyID names one copy on a disk: the backing image's name and UUID.
type CopyID struct {
	Name string
	UUID string
}

// String is the copy's folder (v1) or volume (v2) name, <name>-<uuid>.
func (id CopyID) String() string { return id.Name + "-" + id.UUID }

var (
	validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,252}$`)
	validUUID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$`)
)

// Validate refuses a name or UUID that could escape the copy's folder or
// does not follow Longhorn's naming rules.
func (id CopyID) Validate() error {
	if !validName.MatchString(id.Name) {
		return fmt.Errorf("invalid backing image name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", id.Name)
	}
	if !validUUID.MatchString(id.UUID) {
		return fmt.Errorf("invalid backing image uuid %q: use letters, digits and '-'", id.UUID)
	}
	return nil
}
