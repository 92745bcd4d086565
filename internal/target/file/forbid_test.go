package file_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/target/file"
)

func TestSystemDirectoriesAreRefused(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "etc-link")
	if err := os.Symlink("/etc", link); err != nil {
		t.Fatal(err)
	}
	up := filepath.Join(dir, "up")
	if err := os.Symlink("/usr/share", up); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/etc", "/etc/", "/etc/plinth", "/proc/self", "/sys", "/dev/shm/x", "/boot",
		"/usr", "/usr/local/backups", "/bin", "/sbin", "/lib", "/lib64/x", "/tmp/../etc",
		link, link + "/sub", up + "/..", filepath.Join(dir, "missing", "..", "..", "..", "..", "..", "..", "etc")} {
		if err := file.CheckRoot(p); !errors.Is(err, file.ErrForbiddenRoot) {
			t.Errorf("CheckRoot(%s) = %v, want ErrForbiddenRoot", p, err)
		}
	}
	for _, p := range []string{dir, filepath.Join(dir, "new", "store"), "/var/lib/plinth/backups", "/srv/backups", "/etcetera"} {
		if err := file.CheckRoot(p); err != nil {
			t.Errorf("CheckRoot(%s) = %v, want nil", p, err)
		}
	}
}

func TestOpenAndCheckRefuseSystemDirectories(t *testing.T) {
	for _, raw := range []string{"file:///", "file:///etc", "file:///usr/../etc"} {
		u, _ := url.Parse(raw)
		if _, err := file.Open(context.Background(), u, nil); !errors.Is(err, file.ErrForbiddenRoot) {
			t.Errorf("Open(%s) = %v, want ErrForbiddenRoot", raw, err)
		}
	}
	// A directory that becomes a link into /etc after the target was opened.
	dir := t.TempDir()
	root := filepath.Join(dir, "store")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("file://" + root)
	tg, err := file.Open(context.Background(), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(root); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", root); err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(context.Background()); !errors.Is(err, file.ErrForbiddenRoot) {
		t.Fatalf("Check of a root now linked to /etc = %v, want ErrForbiddenRoot", err)
	}
}
