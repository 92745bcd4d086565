package file

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrForbiddenRoot means a file target's directory is "/" or a system
// directory (or inside one), where backups must never be written.
var ErrForbiddenRoot = errors.New("forbidden backup target directory")

// systemDirs are the directories a file target may not be, nor be below.
var systemDirs = []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/usr", "/bin", "/sbin",
	"/lib", "/lib32", "/lib64", "/libx32"}

// CheckRoot refuses "/" and the system directories (and anything below
// them) as a target's directory. It judges path both as written (cleaned)
// and as the kernel would resolve it (symlinks of its existing part and
// ".." applied in order), so a link into /etc is refused too. The error
// wraps ErrForbiddenRoot and says what to use instead.
func CheckRoot(path string) error {
	for _, p := range []string{filepath.Clean(path), Resolve(path), Resolve(filepath.Clean(path))} {
		if err := judge(path, p); err != nil {
			return err
		}
	}
	return nil
}

func judge(given, p string) error {
	if p == "/" {
		return fmt.Errorf("%w: %s is the root directory; use a directory of its own, e.g. /var/lib/plinth-backups", ErrForbiddenRoot, given)
	}
	for _, d := range systemDirs {
		if Within(p, d) {
			return fmt.Errorf("%w: %s is in the system directory %s; use a directory of its own, e.g. /var/lib/plinth-backups", ErrForbiddenRoot, given, d)
		}
	}
	return nil
}

// Within reports whether the clean absolute path p is dir or below it.
func Within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// maxLinks bounds the symlinks Resolve follows (as the kernel's ELOOP).
const maxLinks = 40

// Resolve returns the absolute path p as the kernel would reach it: "."
// and ".." applied in order and every symlink in the part of p that
// exists replaced by its target; the part that does not exist yet is
// appended as written.
func Resolve(p string) string {
	links := 0
	return resolveFrom("/", strings.Split(p, "/"), &links)
}

func resolveFrom(cur string, parts []string, links *int) string {
	for i, part := range parts {
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur) // cur has no symlinks, so its parent is its real parent
			continue
		}
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil {
			return filepath.Join(append([]string{cur}, parts[i:]...)...)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		target, err := os.Readlink(next)
		if *links++; err != nil || *links > maxLinks {
			return filepath.Join(append([]string{cur}, parts[i:]...)...)
		}
		base := cur
		if filepath.IsAbs(target) {
			base = "/"
		}
		cur = resolveFrom(base, strings.Split(target, "/"), links)
	}
	return cur
}
