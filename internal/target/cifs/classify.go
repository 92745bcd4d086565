package cifs

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/cloudsoda/go-smb2"

	"github.com/plinth-storage/plinth/internal/target"
)

// NTSTATUS codes ([MS-ERREF] 2.3.1) the driver branches on.
const (
	statusNoSuchFile           = 0xC000000F
	statusObjectNameInvalid    = 0xC0000033
	statusSharingViolation     = 0xC0000043
	statusQuotaExceeded        = 0xC0000044
	statusDeletePending        = 0xC0000056
	statusNoSuchUser           = 0xC0000064
	statusWrongPassword        = 0xC000006A
	statusLogonFailure         = 0xC000006D
	statusAccountRestriction   = 0xC000006E
	statusPasswordExpired      = 0xC0000071
	statusAccountDisabled      = 0xC0000072
	statusDiskFull             = 0xC000007F
	statusInsufficientRes      = 0xC000009A
	statusFileIsADirectory     = 0xC00000BA
	statusNetworkNameDeleted   = 0xC00000C9
	statusBadNetworkName       = 0xC00000CC
	statusDirectoryNotEmpty    = 0xC0000101
	statusNotADirectory        = 0xC0000103
	statusUserSessionDeleted   = 0xC0000203
	statusAccountLockedOut     = 0xC0000234
	statusNetworkSessionExpire = 0xC000035C
)

func ntStatus(err error) uint32 {
	var re *smb2.ResponseError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

func isNotExist(err error) bool {
	switch ntStatus(err) {
	case statusNoSuchFile, statusNotADirectory, statusDeletePending:
		return true
	}
	return errors.Is(err, os.ErrNotExist)
}

// sessionBroken reports errors after which the session or its connection
// cannot be used again: a dead TCP connection, or a server that forgot the
// session or tree (it restarted, or an admin closed it).
func sessionBroken(err error) bool {
	var te *smb2.TransportError
	if errors.As(err, &te) {
		return true
	}
	switch ntStatus(err) {
	case statusNetworkNameDeleted, statusUserSessionDeleted, statusNetworkSessionExpire:
		return true
	}
	return false
}

// classify turns an error from go-smb2 into a *target.Error whose kind
// says whether a retry can help, with a message saying what to do. The
// password never appears: go-smb2 does not put it in errors.
func (d *Driver) classify(op, key string, err error) error {
	if err == nil {
		return nil
	}
	server := "SMB server " + d.cfg.addr
	var rme *rootMissingError
	kind, hint := target.KindTransient, ""
	switch st := ntStatus(err); {
	case errors.Is(err, errClosed), errors.As(err, &rme):
		return target.NewError(op, key, target.KindPermanent, err)
	case isNotExist(err):
		kind = target.KindNotFound
	case st == statusLogonFailure || st == statusWrongPassword || st == statusNoSuchUser ||
		st == statusAccountRestriction || st == statusPasswordExpired || st == statusAccountDisabled ||
		st == statusAccountLockedOut:
		kind, hint = target.KindPermanent, fmt.Sprintf(" (authentication of user %q failed: check %s, %s and %s in the target's secret)",
			d.cfg.user, SecretUsername, SecretPassword, SecretDomain)
	case st == statusBadNetworkName:
		kind, hint = target.KindPermanent, fmt.Sprintf(" (share %q does not exist on the server: check the target URL)", d.cfg.share)
	case errors.Is(err, os.ErrPermission):
		kind, hint = target.KindPermanent, fmt.Sprintf(" (access denied for user %q: check the share's permissions)", d.cfg.user)
	case st == statusDiskFull || st == statusQuotaExceeded:
		kind, hint = target.KindPermanent, " (the share is full: free space or raise the quota)"
	case st == statusObjectNameInvalid || st == statusFileIsADirectory || st == statusDirectoryNotEmpty || errors.Is(err, os.ErrExist):
		kind = target.KindPermanent
	case isNetError(err):
		hint = " (server unreachable)"
	}
	return target.NewError(op, key, kind, fmt.Errorf("%s: %w%s", server, err, hint))
}

func isNetError(err error) bool {
	var ne net.Error
	var te *smb2.TransportError
	return errors.As(err, &ne) || errors.As(err, &te)
}
