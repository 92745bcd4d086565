package nfs

import (
	"context"
	"errors"
	"strings"

	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

// dirFH returns the handle of directory rel (elements below the target
// root; nil is the root itself), looking up each element from the mounted
// directory and caching the handles. With create, missing directories are
// made (mkdir -p). A path element that is not a directory yields
// nfs3.ErrNotDir.
func (s *session) dirFH(ctx context.Context, rel []string, create bool) ([]byte, error) {
	full := append(append([]string(nil), s.base...), rel...)
	fh := s.root()
	for i, name := range full {
		p := strings.Join(full[:i+1], "/")
		if cached := s.dirs.get(p); cached != nil {
			fh = cached
			continue
		}
		next, err := s.lookupDir(ctx, fh, name, create)
		if err != nil {
			return nil, err
		}
		s.dirs.put(p, next)
		fh = next
	}
	return fh, nil
}

func (s *session) lookupDir(ctx context.Context, parent []byte, name string, create bool) ([]byte, error) {
	fh, attr, err := s.conn.Lookup(ctx, parent, name)
	if errors.Is(err, nfs3.ErrNoEnt) && create {
		fh, err = s.conn.Mkdir(ctx, parent, name, 0o755)
		if errors.Is(err, nfs3.ErrExist) { // made by a concurrent Put
			fh, attr, err = s.conn.Lookup(ctx, parent, name)
		} else if err == nil {
			return fh, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if !attr.IsDir() {
		return nil, nfs3.ErrNotDir
	}
	return fh, nil
}

// lookup returns the handle and attributes of key (a file or directory).
func (s *session) lookup(ctx context.Context, key string) ([]byte, nfs3.Attr, error) {
	el := elems(key)
	dir, err := s.dirFH(ctx, el[:len(el)-1], false)
	if err != nil {
		return nil, nfs3.Attr{}, err
	}
	return s.conn.Lookup(ctx, dir, el[len(el)-1])
}
