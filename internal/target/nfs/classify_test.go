package nfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

func TestClassify(t *testing.T) {
	d := &Driver{cfg: config{host: "srv", path: "/e"}}
	cases := []struct {
		err  error
		kind target.Kind
		msg  string
	}{
		{nfs3.ErrNoEnt, target.KindNotFound, "NOENT"},
		{nfs3.ErrNotDir, target.KindNotFound, "NOTDIR"},
		{nfs3.ErrStale, target.KindTransient, "stale"},
		{nfs3.ErrIO, target.KindTransient, "I/O"},
		{nfs3.ErrJukebox, target.KindTransient, "busy"},
		{nfs3.ErrNoSpc, target.KindPermanent, "free space"},
		{nfs3.ErrDQuot, target.KindPermanent, "quota"},
		{nfs3.ErrAcces, target.KindPermanent, "squash"},
		{nfs3.ErrROFS, target.KindPermanent, "read-only"},
		{&nfs3.ConnError{Addr: "srv:2049", Err: errors.New("connection refused")}, target.KindTransient, "unreachable"},
		{&nfs3.MountError{Path: "/e", Status: 13}, target.KindPermanent, "refused to mount"},
		{&nfs3.MountError{Path: "/e", Status: 5}, target.KindTransient, "MNT3ERR_IO"},
		{&nfs3.RPCError{Auth: true, Msg: "credentials refused"}, target.KindPermanent, "credentials"},
		{&rootMissingError{path: "/e/x", err: nfs3.ErrNoEnt}, target.KindPermanent, "create it"},
		{errClosed, target.KindPermanent, "closed"},
	}
	for _, c := range cases {
		err := d.classify(target.OpPut, "k", c.err)
		if target.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("classify(%v) = %q kind %v, want kind %v mentioning %q", c.err, err, target.KindOf(err), c.kind, c.msg)
		}
	}
	if !errors.Is(d.classify(target.OpGet, "k", nfs3.ErrNoEnt), target.ErrNotFound) {
		t.Error("not-found error does not wrap target.ErrNotFound")
	}
}
