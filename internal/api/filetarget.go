package api

import (
	"net/url"
	"path/filepath"

	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/target/file"
)

// defaultStoreDir is the default target's folder inside the data dir.
const defaultStoreDir = "backupstore"

// checkFileTarget is a 422 when a file:// target URL (already validated by
// all.ValidateURL) names "/", a system directory, or the daemon's data dir
// or anything in it other than its default backup store. Symlinks and ".."
// are resolved before judging. Other schemes pass.
func (s *Server) checkFileTarget(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != file.Scheme {
		return nil
	}
	if err := file.CheckRoot(u.Path); err != nil {
		return errkind.Invalid("backup target URL %s: %v", rawURL, err)
	}
	if s.d.DataDir == "" {
		return nil
	}
	data := file.Resolve(filepath.Clean(s.d.DataDir))
	store := filepath.Join(data, defaultStoreDir)
	for _, p := range []string{file.Resolve(u.Path), file.Resolve(filepath.Clean(u.Path))} {
		if p != store && file.Within(p, data) {
			return errkind.Invalid("backup target URL %s: %s is inside plinth's data directory %s, where only the default store %s may be; use a directory outside it",
				rawURL, u.Path, s.d.DataDir, filepath.Join(s.d.DataDir, defaultStoreDir))
		}
	}
	return nil
}
