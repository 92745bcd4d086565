// Package nfs is the nfs:// target driver. It reaches an NFS server from
// user space with the NFSv3 client in nfs3 (no kernel mount, no root
// needed unless the server insists on reserved source ports), so the same
// export Longhorn mounts at nfs://host:/export/path is read and written in
// the same layout.
//
// Writes are durable: a temporary file in the key's directory, unstable
// WRITEs, a COMMIT whose verifier is checked against the writes', then a
// RENAME over the key. NFSv3 servers commit CREATE, MKDIR and RENAME to
// stable storage before replying (RFC 1813 §3.3), which stands in for the
// directory fsync of a local file system.
package nfs

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
	"github.com/plinth-storage/plinth/internal/target/redial"
)

var _ target.Target = (*Driver)(nil)

// connections is how many calls the driver usefully runs at once: they are
// pipelined over one TCP connection, and servers work on them in parallel.
const connections = 8

// Driver is an NFS target. It keeps one connection, redialled and
// remounted on the first call after it broke (a server restart, a network
// failure); the call that saw it break gets a transient error.
type Driver struct {
	cfg      config
	log      *slog.Logger
	sessions *redial.Holder[*session]
}

// New returns a driver for u (see parseURL for the accepted forms). NFS
// needs no secret; secret is accepted for symmetry and ignored. New does
// not contact the server: Check does.
func New(ctx context.Context, u *url.URL, secret map[string]string) (*Driver, error) {
	log := slog.Default()
	cfg, err := parseURL(u, log)
	if err != nil {
		return nil, target.NewError(target.OpCheck, "", target.KindPermanent, err)
	}
	dial := func(ctx context.Context) (*session, error) { return connect(ctx, cfg) }
	return &Driver{cfg: cfg, log: log, sessions: redial.New(dial, errClosed)}, nil
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("nfs target is closed")

// do runs fn on a live session and classifies its error. A stale handle
// resets the directory cache and fn runs again (a file replaced by a
// concurrent Put, a directory recreated); one that stays stale has the
// export mounted afresh. A broken connection drops the session so the next
// call redials.
func (d *Driver) do(ctx context.Context, op, key string, fn func(*session) error) error {
	const attempts = 4
	var err error
	for i := 0; i < attempts; i++ {
		var s *session
		if s, err = d.sessions.Get(ctx); err != nil {
			break
		}
		err = fn(s)
		var ce *nfs3.ConnError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ce): // the next call redials
			d.sessions.Forget(s)
			s.Close()
		case isStale(err):
			s.dirs.reset()
			if i == 1 {
				_ = s.remount(ctx) // a failure shows up in the next attempt
			}
			continue
		}
		break
	}
	return d.classify(op, key, err)
}

func isStale(err error) bool {
	return errors.Is(err, nfs3.ErrStale) || errors.Is(err, nfs3.ErrBadHandle)
}

// Check mounts the export (reconnecting if needed) and looks up the target
// root, which must exist: Longhorn's kernel mount of the same URL fails
// otherwise.
func (d *Driver) Check(ctx context.Context) error {
	return d.do(ctx, target.OpCheck, "", func(s *session) error {
		fh, err := s.dirFH(ctx, nil, false)
		if errors.Is(err, nfs3.ErrNoEnt) || errors.Is(err, nfs3.ErrNotDir) {
			return &rootMissingError{path: d.cfg.path, err: err}
		}
		if err != nil {
			return err
		}
		_, err = s.conn.Getattr(ctx, fh)
		return err
	})
}

// rootMissingError reports a target root that is not a directory on the
// server; it is permanent until someone creates it.
type rootMissingError struct {
	path string
	err  error
}

func (e *rootMissingError) Error() string {
	return "directory " + e.path + " does not exist on the NFS server (" + e.err.Error() + "): create it or fix the target URL"
}

// Properties reports the driver's capabilities.
func (d *Driver) Properties() target.Properties {
	return target.Properties{Scheme: "nfs", Connections: connections, HasDirs: true}
}

// Close closes the connection; the driver must not be used afterwards.
func (d *Driver) Close() error {
	d.sessions.Close()
	return nil
}

// elems returns the path elements of key below the target root.
func elems(key string) []string {
	if key == "" {
		return nil
	}
	return strings.Split(key, "/")
}
