package secretbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// save writes keys to the key file atomically: a temporary file in the
// same folder (mode 0600), fsync, rename over the old file, fsync of the
// folder. A crash leaves either the old or the new file, never a mix.
func (r *Keyring) save(keys []key) error {
	f := fileFormat{Keys: make([]fileKey, len(keys))}
	for i, k := range keys {
		f.Keys[i] = fileKey{ID: k.id, Key: base64.StdEncoding.EncodeToString(k.raw)}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode secrets key file: %w", err)
	}
	data = append(data, '\n')
	dir := filepath.Dir(r.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the folder of the secrets key file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".secrets-key-*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("write secrets key file in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write secrets key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync secrets key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write secrets key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), r.path); err != nil {
		return fmt.Errorf("replace secrets key file %s: %w", r.path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
