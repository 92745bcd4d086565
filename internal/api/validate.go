package api

import (
	"fmt"
	"regexp"

	"github.com/plinth-storage/plinth/internal/errkind"
)

// nameRegexp is Longhorn's rule for resource names.
var nameRegexp = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]+$`)

// Name length limits: Longhorn caps backing-image names at 40 so that
// generated backup names (<bi>-<8 chars>) stay short; other names follow
// the DNS label limit.
const (
	maxBackingImageName = 40
	maxName             = 63
)

// checkName validates a resource name before it touches a key or a path.
func checkName(kind, name string, maxLen int) error {
	if name == "" {
		return errkind.Invalid("%s name is required", kind)
	}
	if len(name) > maxLen {
		return errkind.Invalid("invalid %s name %q: at most %d characters", kind, name, maxLen)
	}
	if !nameRegexp.MatchString(name) {
		return errkind.Invalid("invalid %s name %q: use 2 or more lowercase letters, digits, '-', '_' or '.', starting with a letter or digit", kind, name)
	}
	return nil
}

// checksumRegexp matches a SHA-512 in hex.
var checksumRegexp = regexp.MustCompile(`^[0-9a-fA-F]{128}$`)

func checkChecksum(sum string) error {
	if sum != "" && !checksumRegexp.MatchString(sum) {
		return errkind.Invalid("invalid expectedChecksum %q: it must be a SHA-512 as 128 hexadecimal characters (sha512sum FILE)", truncate(sum, 20))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s...", s[:n])
}

// CheckBackupName validates a user-chosen backup name.
func CheckBackupName(name string) error { return checkName("backup", name, maxName) }
