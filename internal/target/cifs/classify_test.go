package cifs

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cloudsoda/go-smb2"

	"github.com/plinth-storage/plinth/internal/target"
)

func TestClassify(t *testing.T) {
	d := &Driver{cfg: config{addr: "srv:445", share: "bk", user: "backup", pass: "s3cret-pw"}}
	status := func(code uint32) error { return &smb2.ResponseError{Code: code} }
	cases := []struct {
		err  error
		kind target.Kind
		msg  string
	}{
		{&os.PathError{Op: "open", Path: "x", Err: os.ErrNotExist}, target.KindNotFound, "not exist"},
		{status(statusNotADirectory), target.KindNotFound, ""},
		{status(statusLogonFailure), target.KindPermanent, "authentication of user \"backup\" failed"},
		{status(statusBadNetworkName), target.KindPermanent, "share \"bk\" does not exist"},
		{&os.PathError{Op: "open", Path: "x", Err: os.ErrPermission}, target.KindPermanent, "access denied"},
		{status(statusDiskFull), target.KindPermanent, "share is full"},
		{status(statusQuotaExceeded), target.KindPermanent, "quota"},
		{status(statusSharingViolation), target.KindTransient, ""},
		{status(statusNetworkNameDeleted), target.KindTransient, ""},
		{&smb2.TransportError{Err: errors.New("broken pipe")}, target.KindTransient, "unreachable"},
		{&rootMissingError{path: `bk\x`, err: os.ErrNotExist}, target.KindPermanent, "create it"},
		{errClosed, target.KindPermanent, "closed"},
	}
	for _, c := range cases {
		err := d.classify(target.OpPut, "k", c.err)
		if target.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("classify(%v) = %q kind %v, want kind %v mentioning %q", c.err, err, target.KindOf(err), c.kind, c.msg)
		}
		if strings.Contains(err.Error(), d.cfg.pass) {
			t.Errorf("classify(%v) leaks the password: %v", c.err, err)
		}
	}
	if !sessionBroken(status(statusUserSessionDeleted)) || sessionBroken(status(statusDiskFull)) {
		t.Error("sessionBroken misjudges NTSTATUS codes")
	}
}
