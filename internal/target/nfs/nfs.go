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
	"sync"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

var _ target.Target = (*Driver)(nil)

// connections is how many calls the driver usefully runs at once: they are
// pipelined over one TCP connection, and servers work on them in parallel.
const connections = 8

// Driver is an NFS target. It keeps one connection, redialled and
// remounted on the first call after it broke (a server restart, a network
// failure); the call that saw it break gets a transient error.
type Driver struct {
	cfg config
	log *slog.Logger

	dialing chan struct{} // one token: only one caller (re)connects at a time

	mu     sync.Mutex
	sess   *session
	closed bool
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
	d := &Driver{cfg: cfg, log: log, dialing: make(chan struct{}, 1)}
	return d, nil
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("nfs target is closed")

// session returns the live session, connecting first if there is none or
// the last one broke.
func (d *Driver) session(ctx context.Context) (*session, error) {
	d.mu.Lock()
	s, closed := d.sess, d.closed
	d.mu.Unlock()
	if !closed && s != nil && s.conn.Err() == nil {
		return s, nil // fast path: no token needed
	}
	select {
	case d.dialing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-d.dialing }()
	d.mu.Lock()
	s, closed = d.sess, d.closed
	d.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	if s != nil && s.conn.Err() == nil {
		return s, nil
	}
	if s != nil {
		d.drop(s)
	}
	s, err := connect(ctx, d.cfg)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		s.conn.Close()
		return nil, errClosed
	}
	d.sess = s
	return s, nil
}

// drop forgets s (if it is still the current session) and closes it, so
// the next call reconnects and remounts.
func (d *Driver) drop(s *session) {
	d.mu.Lock()
	if d.sess == s {
		d.sess = nil
	}
	d.mu.Unlock()
	s.conn.Close()
}

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
		if s, err = d.session(ctx); err != nil {
			break
		}
		err = fn(s)
		var ce *nfs3.ConnError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ce):
			d.drop(s)
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
	d.mu.Lock()
	s := d.sess
	d.sess, d.closed = nil, true
	d.mu.Unlock()
	if s != nil {
		s.conn.Close()
	}
	return nil
}

// elems returns the path elements of key below the target root.
func elems(key string) []string {
	if key == "" {
		return nil
	}
	return strings.Split(key, "/")
}
