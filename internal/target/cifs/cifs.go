// Package cifs is the cifs:// target driver. It reaches an SMB2/3 server
// (Samba, Windows) from user space with github.com/cloudsoda/go-smb2, so
// the share Longhorn mounts at cifs://host/share/path is read and written
// in the same layout without a kernel mount.
//
// Writes are durable as far as SMB allows: a temporary file in the key's
// directory, written, FLUSHed (the server fsyncs it) and closed, then
// renamed over the key. SMB has no directory flush; Samba applies renames
// with rename(2) on its own file system.
package cifs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/cloudsoda/go-smb2"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/redial"
)

var _ target.Target = (*Driver)(nil)

const (
	// connections is how many requests the driver usefully runs at once:
	// SMB2 multiplexes them over one session with credits.
	connections = 8
	// opTimeout bounds one driver call whose ctx has no earlier deadline,
	// so a server that stops answering without closing the connection
	// cannot hang a caller; the session is then redialled.
	opTimeout = 5 * time.Minute
)

// Driver is a CIFS/SMB target. It keeps one authenticated session with the
// share mounted, redialled on the first call after it broke.
type Driver struct {
	cfg      config
	sessions *redial.Holder[*session]
}

// session is one logged-on SMB session with the share mounted.
type session struct {
	smb   *smb2.Session
	share *smb2.Share
}

// New returns a driver for u (see parseConfig) with the credentials in
// secret (CIFS_USERNAME, CIFS_PASSWORD, optional CIFS_DOMAIN). It does not
// contact the server: Check does.
func New(ctx context.Context, u *url.URL, secret map[string]string) (*Driver, error) {
	cfg, err := parseConfig(u, secret, slog.Default())
	if err != nil {
		return nil, target.NewError(target.OpCheck, "", target.KindPermanent, err)
	}
	d := &Driver{cfg: cfg}
	d.sessions = redial.New(d.dial, errClosed)
	return d, nil
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("cifs target is closed")

func (d *Driver) dial(ctx context.Context) (*session, error) {
	dialer := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: d.cfg.user, Password: d.cfg.pass, Domain: d.cfg.domain}}
	sm, err := dialer.Dial(ctx, d.cfg.addr)
	if err != nil {
		return nil, &setupError{stage: "session setup", err: err}
	}
	share, err := sm.WithContext(ctx).Mount(`\\` + d.cfg.host + `\` + d.cfg.share)
	if err != nil {
		s := &session{smb: sm}
		s.Close()
		return nil, &setupError{stage: "mounting share " + d.cfg.share, err: err}
	}
	return &session{smb: sm, share: share}, nil
}

// setupError marks a failure to establish the session or mount the share.
type setupError struct {
	stage string
	err   error
}

func (e *setupError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

// Broken is false: a broken session shows in the errors of the calls
// made on it, and the driver forgets it then (see attempt).
func (s *session) Broken() bool { return false }

// Close logs the session off and closes its connection, briefly.
func (s *session) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.smb.WithContext(ctx).Logoff()
}

// drop forgets s so that the next call redials, and closes it in the
// background (a server that stopped answering makes Close wait).
func (d *Driver) drop(s *session) {
	d.sessions.Forget(s)
	go s.Close()
}

// do runs fn with the share bound to a ctx limited by opTimeout, and
// classifies its error. A broken session is dropped and fn runs once more
// on a new one when again is true (a server restart between calls then
// costs no error); the next call redials in any case.
func (d *Driver) do(ctx context.Context, op, key string, again func() bool, fn func(ctx context.Context, sh *smb2.Share) error) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		opCtx, cancel := context.WithTimeout(ctx, opTimeout)
		err = d.attempt(ctx, opCtx, fn)
		cancel()
		if err == nil || !errors.Is(err, errBroken) || !again() {
			break
		}
	}
	return d.classify(op, key, err)
}

// errBroken tags errors after which the session was dropped.
var errBroken = errors.New("SMB session dropped")

func (d *Driver) attempt(ctx, opCtx context.Context, fn func(ctx context.Context, sh *smb2.Share) error) error {
	s, err := d.sessions.Get(opCtx)
	if err != nil {
		return err
	}
	err = fn(opCtx, s.share.WithContext(opCtx))
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %v", ctx.Err(), err)
	case opCtx.Err() != nil:
		d.drop(s)
		return fmt.Errorf("no reply from the SMB server within %v (%w): %v", opTimeout, errBroken, err)
	case sessionBroken(err):
		d.drop(s)
		return fmt.Errorf("%w: %w", errBroken, err)
	}
	return err
}

func always() bool { return true }

// Check mounts the share (reconnecting if needed) and checks that the
// target root is a directory: Longhorn's kernel mount fails otherwise.
func (d *Driver) Check(ctx context.Context) error {
	return d.do(ctx, target.OpCheck, "", always, func(ctx context.Context, sh *smb2.Share) error {
		root := d.cfg.remote("")
		fi, err := sh.Stat(root)
		if err != nil && isNotExist(err) {
			return &rootMissingError{path: d.cfg.share + `\` + root, err: err}
		}
		if err == nil && !fi.IsDir() {
			return &rootMissingError{path: d.cfg.share + `\` + root, err: errors.New("not a directory")}
		}
		return err
	})
}

// rootMissingError reports a target root that is not a directory on the
// share; it is permanent until someone creates it.
type rootMissingError struct {
	path string
	err  error
}

func (e *rootMissingError) Error() string {
	return fmt.Sprintf("directory %s does not exist on the SMB server (%v): create it or fix the target URL", e.path, e.err)
}

// Properties reports the driver's capabilities.
func (d *Driver) Properties() target.Properties {
	return target.Properties{Scheme: "cifs", Connections: connections, HasDirs: true}
}

// Close logs off; the driver must not be used afterwards.
func (d *Driver) Close() error {
	d.sessions.Close()
	return nil
}
