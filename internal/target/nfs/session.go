package nfs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

// maxTransfer caps one READ or WRITE even when the server allows more, to
// bound the memory of a single call.
const maxTransfer = 1 << 20

// session is one mounted connection: the export's root handle, the path
// from it to the target root, and cached directory handles.
type session struct {
	conn  *nfs3.Conn
	cfg   config
	mount mountInfo
	base  []string // path elements from the mounted directory to the target root
	rtmax uint32
	wtmax uint32
	dirs  dirCache

	mu      sync.Mutex
	mountFH []byte
}

// Broken reports whether the connection failed; the driver then dials and
// mounts anew.
func (s *session) Broken() bool { return s.conn.Err() != nil }

// Close closes the connection; calls in flight on it fail.
func (s *session) Close() { s.conn.Close() }

// mountInfo is what remount needs to ask for the root handle again.
type mountInfo struct {
	addr string
	path string
	cred nfs3.Cred
}

// root returns the mounted directory's handle.
func (s *session) root() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mountFH
}

// remount asks the MOUNT service for the root handle again, for when the
// old one went stale (a server that does not keep handles across
// restarts). The NFS connection and calls in flight on it are unaffected.
func (s *session) remount(ctx context.Context) error {
	fh, err := nfs3.Mount(ctx, s.mount.addr, s.mount.path, s.mount.cred, s.cfg.timeout)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.mountFH = fh
	s.mu.Unlock()
	s.dirs.reset()
	return nil
}

// connect resolves ports, mounts the longest mountable prefix of cfg.path
// and opens the NFS connection.
func connect(ctx context.Context, cfg config) (*session, error) {
	nfsPort, mountPort := cfg.nfsPort, cfg.mountPort
	var err error
	if nfsPort == 0 {
		if nfsPort, err = lookupPort(ctx, cfg, 100003, "port"); err != nil {
			return nil, err
		}
	}
	if mountPort == 0 {
		if mountPort, err = lookupPort(ctx, cfg, 100005, "mountport"); err != nil {
			return nil, err
		}
	}
	cred := nfs3.Cred{Machine: "plinth"}
	mountAddr := net.JoinHostPort(cfg.host, strconv.Itoa(mountPort))
	fh, mounted, base, err := mountPrefix(ctx, mountAddr, cfg.path, cred, cfg.timeout)
	if err != nil {
		return nil, err
	}
	conn, err := nfs3.Dial(ctx, net.JoinHostPort(cfg.host, strconv.Itoa(nfsPort)), cred, cfg.timeout)
	if err != nil {
		return nil, err
	}
	fi, err := conn.FSInfo(ctx, fh)
	if err != nil {
		conn.Close()
		return nil, err
	}
	s := &session{
		conn: conn, cfg: cfg, base: base, mountFH: fh,
		mount: mountInfo{addr: mountAddr, path: mounted, cred: cred},
		rtmax: clampTransfer(fi.RTMax), wtmax: clampTransfer(fi.WTMax),
	}
	return s, nil
}

func clampTransfer(n uint32) uint32 {
	switch {
	case n == 0 || n > maxTransfer:
		return maxTransfer
	case n < 4096:
		return 4096
	}
	return n
}

// errNoPortmapper explains how to reach a server whose rpcbind is absent.
var errNoPortmapper = errors.New("set the NFS and MOUNT ports with ?port=N&mountport=M in the target URL to skip rpcbind")

func lookupPort(ctx context.Context, cfg config, prog uint32, param string) (int, error) {
	port, err := nfs3.GetPort(ctx, cfg.host, prog, 3, cfg.timeout)
	if err != nil {
		return 0, fmt.Errorf("asking rpcbind on %s:111 for the %s port: %w (%w)", cfg.host, param, err, errNoPortmapper)
	}
	if port == 0 {
		return 0, &nfs3.RPCError{Msg: fmt.Sprintf("program %d version 3 is not registered with rpcbind on %s: is it an NFSv3 server? Otherwise set ?%s=", prog, cfg.host, param)}
	}
	return port, nil
}

// mountPrefix mounts p, or failing that its longest mountable parent, and
// returns the root handle, the path mounted and the remaining elements. Longhorn's
// kernel mount takes the whole path; servers that only export the parent
// (NFSv3 sub-directory mounts are optional) are reached the same way.
func mountPrefix(ctx context.Context, addr, p string, cred nfs3.Cred, timeout time.Duration) ([]byte, string, []string, error) {
	elems := splitPath(p)
	var firstErr error
	for i := len(elems); i >= 1; i-- {
		mounted := "/" + strings.Join(elems[:i], "/")
		fh, err := nfs3.Mount(ctx, addr, mounted, cred, timeout)
		if err == nil {
			return fh, mounted, elems[i:], nil
		}
		var me *nfs3.MountError
		if !errors.As(err, &me) {
			return nil, "", nil, err // the server is unreachable or broken: no point trying parents
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, "", nil, firstErr
}

// dirCache maps target-relative directory paths (joined with "/", base
// elements included) to file handles. It is bounded: when full it starts
// over. Handles go stale when a directory is removed or the server loses
// them; the session then resets the cache.
type dirCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

const dirCacheMax = 8192

func (c *dirCache) get(p string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[p]
}

func (c *dirCache) put(p string, fh []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= dirCacheMax {
		c.m = make(map[string][]byte)
	}
	c.m[p] = fh
}

func (c *dirCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// splitPath splits a cleaned absolute path into its elements.
func splitPath(p string) []string {
	p = strings.Trim(path.Clean(p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
