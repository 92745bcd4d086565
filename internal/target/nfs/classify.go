package nfs

import (
	"errors"
	"fmt"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

// classify turns an error from the NFS client into a *target.Error whose
// kind says whether a retry can help, with a message saying what failed
// and what to do.
func (d *Driver) classify(op, key string, err error) error {
	if err == nil {
		return nil
	}
	server := "NFS server " + d.cfg.host
	var (
		st  nfs3.Status
		ce  *nfs3.ConnError
		me  *nfs3.MountError
		re  *nfs3.RPCError
		rme *rootMissingError
	)
	switch {
	case errors.Is(err, errClosed):
		return target.NewError(op, key, target.KindPermanent, err)
	case errors.As(err, &rme):
		return target.NewError(op, key, target.KindPermanent, err)
	case errors.As(err, &st):
		kind, hint := statusKind(st)
		return target.NewError(op, key, kind, fmt.Errorf("%s: %w%s", server, err, hint))
	case errors.As(err, &ce):
		return target.NewError(op, key, target.KindTransient, fmt.Errorf("%s unreachable: %w", server, err))
	case errors.As(err, &me):
		if me.Status == 5 || me.Status == 10006 {
			return target.NewError(op, key, target.KindTransient, fmt.Errorf("%s: %w", server, err))
		}
		return target.NewError(op, key, target.KindPermanent,
			fmt.Errorf("%s refused to mount %s: %w; check the server's export list and the target URL", server, d.cfg.path, err))
	case errors.As(err, &re):
		kind := target.KindPermanent
		if !re.Auth && re.Msg == "server system error (SYSTEM_ERR)" {
			kind = target.KindTransient
		}
		return target.NewError(op, key, kind, fmt.Errorf("%s: %w", server, err))
	}
	return target.NewError(op, key, target.KindTransient, fmt.Errorf("%s: %w", server, err))
}

// statusKind maps an NFS status to a kind and a hint for the message.
func statusKind(st nfs3.Status) (target.Kind, string) {
	switch st {
	case nfs3.ErrNoEnt, nfs3.ErrNotDir:
		return target.KindNotFound, ""
	case nfs3.ErrStale, nfs3.ErrBadHandle:
		return target.KindTransient, " (the server restarted or the file was replaced; the next call remounts)"
	case nfs3.ErrIO, nfs3.ErrJukebox, nfs3.ErrServerFault, nfs3.ErrBadCookie:
		return target.KindTransient, ""
	case nfs3.ErrNoSpc, nfs3.ErrDQuot:
		return target.KindPermanent, " (free space on the NFS server or raise its quota)"
	case nfs3.ErrAcces, nfs3.ErrPerm:
		return target.KindPermanent, " (check the export's access and squash options: plinth sends uid 0, gid 0)"
	case nfs3.ErrROFS:
		return target.KindPermanent, " (the export is read-only: export it read-write)"
	}
	return target.KindPermanent, ""
}
