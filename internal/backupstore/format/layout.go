// Package format is the on-target layout of Longhorn's backing-image backup
// store: object keys, block IDs, name rules and the backing-image.cfg JSON.
// It does no I/O; the backupstore package reads and writes through a
// target.Target using these definitions.
//
// The facts come from /work/shared/reference/longhorn-backupstore.md §1-3:
// every key and encoding here must stay byte-compatible with Longhorn so
// both can share a store.
package format

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/plinth-storage/plinth/internal/target"
)

// BlockSize is the size of every block but an image's last, which holds
// Size-offset bytes. Backing images always use 2 MiB in Longhorn.
const BlockSize = 2 << 20

// Key prefixes, relative to the target root. The doubled
// "backing-images/backing-images" and the "22/fc" lock directory
// (sha512("BACKINGIMAGE") starts 22fc) are Longhorn's.
const (
	// ConfigsDir holds one directory per backup: <name>/backing-image.cfg.
	ConfigsDir = "backupstore/backing-images/backing-images"
	// BlocksDir is the block pool shared by every backing-image backup.
	BlocksDir = "backupstore/backing-images/blocks"
	// LockDir holds the lock files that serialise backing-image backups,
	// restores and deletes; one lock namespace for the whole pool.
	LockDir = "backupstore/volumes/22/fc/BACKINGIMAGE/locks"
	// ConfigFile is the name of the metadata object inside a backup's dir.
	ConfigFile  = "backing-image.cfg"
	blockSuffix = ".blk"
)

// IDLength is the number of lowercase hex characters of a block ID.
const IDLength = 64

// BlockID returns the ID of a raw (uncompressed) block: the first 64 hex
// characters of its SHA-512 (not SHA-256, whatever Longhorn's comment says).
func BlockID(raw []byte) string {
	sum := sha512.Sum512(raw)
	return hex.EncodeToString(sum[:IDLength/2])
}

// ConfigKey is the key of the backing-image.cfg of the backup name.
func ConfigKey(name string) string {
	return ConfigsDir + "/" + name + "/" + ConfigFile
}

// NameFromConfigKey returns the backup name of a key found below ConfigsDir,
// and false for any key that is not exactly <ConfigsDir>/<name>/backing-image.cfg.
func NameFromConfigKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, ConfigsDir+"/")
	if !ok {
		return "", false
	}
	name, file, ok := strings.Cut(rest, "/")
	if !ok || file != ConfigFile || name == "" {
		return "", false
	}
	return name, true
}

// BlockKey is the pool key of a block ID: blocks/<id[0:2]>/<id[2:4]>/<id>.blk.
func BlockKey(id string) string {
	return BlocksDir + "/" + id[0:2] + "/" + id[2:4] + "/" + id + blockSuffix
}

// IDFromBlockKey returns the block ID of a pool key and false for anything
// that is not a well-formed block key (stray files are never blocks).
func IDFromBlockKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, BlocksDir+"/")
	if !ok {
		return "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return "", false
	}
	id, ok := strings.CutSuffix(parts[2], blockSuffix)
	if !ok || !ValidID(id) || parts[0] != id[0:2] || parts[1] != id[2:4] {
		return "", false
	}
	return id, true
}

// ValidID reports whether id is 64 lowercase hex characters.
func ValidID(id string) bool {
	if len(id) != IDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// ValidateName checks a backup name against Longhorn's rule
// ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ (at least two characters), so a name can
// never escape its directory or collide with a temporary file.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid backup name %q: must match %s", name, nameRE)
	}
	if target.IsTempName(name) {
		return fmt.Errorf("invalid backup name %q: it has the temporary-file form <name>.tmp.<digits>", name)
	}
	return nil
}
