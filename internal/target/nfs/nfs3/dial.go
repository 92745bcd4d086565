package nfs3

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
)

// Cred is an AUTH_SYS credential (RFC 5531 appendix A): the user and group
// ids the server checks permissions against. The kernel NFS client of a
// root process, as Longhorn uses, sends uid 0 / gid 0.
type Cred struct {
	Machine string
	UID     uint32
	GID     uint32
}

func (c Cred) encode() []byte {
	var body encoder
	body.u32(0) // stamp
	body.str(c.Machine)
	body.u32(c.UID)
	body.u32(c.GID)
	body.u32(0) // no supplementary groups
	var e encoder
	e.u32(1) // AUTH_SYS
	e.opaque(body.b)
	return e.b
}

// dialTCP connects to addr. Running as root it binds a reserved source port
// (below 1024), as kernel clients do, because many NFS servers (Linux knfsd
// with its default "secure" export option) refuse other ports.
func dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	if os.Geteuid() != 0 {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	var lastErr error
	for range 16 {
		d := net.Dialer{LocalAddr: &net.TCPAddr{Port: 600 + rand.IntN(424)}}
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return nc, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return nil, err
		}
	}
	var d net.Dialer
	if nc, err := d.DialContext(ctx, "tcp", addr); err == nil {
		return nc, nil
	}
	return nil, lastErr
}
