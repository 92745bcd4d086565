package nfs3

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

const (
	progPortmap = 100000
	progMount   = 100005
	progNFS     = 100003
)

// MountError is a MOUNT protocol (RFC 1813 appendix I) refusal of an export
// path.
type MountError struct {
	Path   string
	Status uint32
}

func (e *MountError) Error() string {
	what := map[uint32]string{
		1: "not permitted (MNT3ERR_PERM)", 2: "no such export (MNT3ERR_NOENT)",
		5: "I/O error (MNT3ERR_IO)", 13: "access denied (MNT3ERR_ACCES)",
		20: "not a directory (MNT3ERR_NOTDIR)", 22: "invalid path (MNT3ERR_INVAL)",
		63: "path too long (MNT3ERR_NAMETOOLONG)", 10004: "not supported (MNT3ERR_NOTSUPP)",
		10006: "server fault (MNT3ERR_SERVERFAULT)",
	}[e.Status]
	if what == "" {
		what = "mount status " + strconv.Itoa(int(e.Status))
	}
	return fmt.Sprintf("mount %s: %s", e.Path, what)
}

// GetPort asks the portmapper (rpcbind) on host:111 for the TCP port of
// prog version vers. Zero means not registered.
func GetPort(ctx context.Context, host string, prog, vers uint32, timeout time.Duration) (int, error) {
	c, err := Dial(ctx, net.JoinHostPort(host, "111"), Cred{}, timeout)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var e encoder
	e.u32(prog)
	e.u32(vers)
	e.u32(6) // TCP
	e.u32(0)
	d, err := c.call(ctx, progPortmap, 2, 3, e.b)
	if err != nil {
		return 0, err
	}
	port := d.u32()
	return int(port), d.err
}

// Mount asks the MOUNT v3 server at addr for the root file handle of the
// export path dir.
func Mount(ctx context.Context, addr, dir string, cred Cred, timeout time.Duration) ([]byte, error) {
	c, err := Dial(ctx, addr, cred, timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var e encoder
	e.str(dir)
	d, err := c.call(ctx, progMount, 3, 1, e.b)
	if err != nil {
		return nil, err
	}
	if st := d.u32(); st != 0 {
		if d.err != nil {
			return nil, d.err
		}
		return nil, &MountError{Path: dir, Status: st}
	}
	fh := d.opaque()
	return fh, d.err
}
