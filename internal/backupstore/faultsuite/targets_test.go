package faultsuite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// targetType is one kind of backup target with its server, started once
// for all of its cases.
type targetType struct {
	name string
	// start starts the server (if any) for the life of t and returns a
	// function giving, for each case, the URL of a fresh empty store and
	// the credential secret.
	start func(t *testing.T) func(t *testing.T, sub string) (string, map[string]string)
}

var targetTypes = []targetType{
	{name: "file", start: func(t *testing.T) func(*testing.T, string) (string, map[string]string) {
		root := t.TempDir()
		return func(t *testing.T, sub string) (string, map[string]string) {
			mkdir(t, filepath.Join(root, sub))
			return "file://" + filepath.Join(root, sub), nil
		}
	}},
	{name: "s3", start: func(t *testing.T) func(*testing.T, string) (string, map[string]string) {
		srv := testenv.VersityGW(t)
		bucket := srv.NewBucket(t)
		return func(t *testing.T, sub string) (string, map[string]string) {
			return "s3://" + bucket + "@" + srv.Region + "/" + sub + "/", srv.Secret()
		}
	}},
	{name: "nfs", start: func(t *testing.T) func(*testing.T, string) (string, map[string]string) {
		srv := testenv.Ganesha(t)
		return func(t *testing.T, sub string) (string, map[string]string) {
			mkdir(t, filepath.Join(srv.Export, sub))
			return srv.URL(sub).String(), nil
		}
	}},
	{name: "cifs", start: func(t *testing.T) func(*testing.T, string) (string, map[string]string) {
		srv := testenv.Samba(t)
		return func(t *testing.T, sub string) (string, map[string]string) {
			mkdir(t, filepath.Join(srv.Dir, sub))
			return srv.URL(sub).String(), srv.Secret()
		}
	}},
	{name: "azblob", start: func(t *testing.T) func(*testing.T, string) (string, map[string]string) {
		srv := testenv.Azurite(t)
		container := srv.NewContainer(t)
		return func(t *testing.T, sub string) (string, map[string]string) {
			return srv.URL(container, sub).String(), srv.Secret()
		}
	}},
}

// mkdir creates a case's folder on a file-system server's local side, as
// an administrator creating the export's sub-directory would.
func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("create the case's folder %s: %v", dir, err)
	}
}
