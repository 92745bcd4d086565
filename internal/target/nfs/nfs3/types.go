package nfs3

import (
	"fmt"
	"time"
)

// Status is a non-OK nfsstat3 (RFC 1813 §2.6) returned by a procedure.
type Status uint32

// The statuses plinth branches on; the rest only reach messages.
const (
	ErrPerm        Status = 1
	ErrNoEnt       Status = 2
	ErrIO          Status = 5
	ErrAcces       Status = 13
	ErrExist       Status = 17
	ErrNotDir      Status = 20
	ErrIsDir       Status = 21
	ErrInval       Status = 22
	ErrNoSpc       Status = 28
	ErrROFS        Status = 30
	ErrNotEmpty    Status = 66
	ErrDQuot       Status = 69
	ErrStale       Status = 70
	ErrBadHandle   Status = 10001
	ErrBadCookie   Status = 10003
	ErrNotSupp     Status = 10004
	ErrServerFault Status = 10006
	ErrJukebox     Status = 10008
)

var statusText = map[Status]string{
	ErrPerm: "NFS3ERR_PERM: operation not permitted", ErrNoEnt: "NFS3ERR_NOENT: no such file or directory",
	ErrIO: "NFS3ERR_IO: I/O error on the server", 6: "NFS3ERR_NXIO: no such device",
	ErrAcces: "NFS3ERR_ACCES: permission denied", ErrExist: "NFS3ERR_EXIST: file exists",
	18: "NFS3ERR_XDEV: cross-device link", ErrNotDir: "NFS3ERR_NOTDIR: not a directory",
	ErrIsDir: "NFS3ERR_ISDIR: is a directory", ErrInval: "NFS3ERR_INVAL: invalid argument",
	27: "NFS3ERR_FBIG: file too large", ErrNoSpc: "NFS3ERR_NOSPC: no space left on the server",
	ErrROFS: "NFS3ERR_ROFS: read-only file system", 63: "NFS3ERR_NAMETOOLONG: name too long",
	ErrNotEmpty: "NFS3ERR_NOTEMPTY: directory not empty", ErrDQuot: "NFS3ERR_DQUOT: quota exceeded",
	ErrStale: "NFS3ERR_STALE: stale file handle", ErrBadHandle: "NFS3ERR_BADHANDLE: invalid file handle",
	10002: "NFS3ERR_NOT_SYNC: setattr guard failed", ErrBadCookie: "NFS3ERR_BAD_COOKIE: directory cookie is stale",
	ErrNotSupp: "NFS3ERR_NOTSUPP: operation not supported", 10005: "NFS3ERR_TOOSMALL: buffer too small",
	ErrServerFault: "NFS3ERR_SERVERFAULT: server fault", 10007: "NFS3ERR_BADTYPE: bad object type",
	ErrJukebox: "NFS3ERR_JUKEBOX: server busy, try again later",
}

func (s Status) Error() string {
	if t, ok := statusText[s]; ok {
		return t
	}
	return fmt.Sprintf("NFS status %d", uint32(s))
}

// statusErr turns a decoded nfsstat3 into an error (nil for NFS3_OK).
func statusErr(st uint32) error {
	if st == 0 {
		return nil
	}
	return Status(st)
}

// Attr is the part of fattr3 plinth uses.
type Attr struct {
	Type   uint32 // 1 regular file, 2 directory, ...
	Mode   uint32
	Size   uint64
	FileID uint64
	Mtime  time.Time
}

// IsDir reports whether the attributes describe a directory.
func (a Attr) IsDir() bool { return a.Type == 2 }

func (d *decoder) fattr() Attr {
	var a Attr
	a.Type = d.u32()
	a.Mode = d.u32()
	d.u32() // nlink
	d.u32() // uid
	d.u32() // gid
	a.Size = d.u64()
	d.u64() // used
	d.u64() // rdev
	d.u64() // fsid
	a.FileID = d.u64()
	d.nfstime() // atime
	a.Mtime = d.nfstime()
	d.nfstime() // ctime
	return a
}

func (d *decoder) nfstime() time.Time {
	sec, nsec := d.u32(), d.u32()
	return time.Unix(int64(sec), int64(nsec))
}

// postOpAttr decodes post_op_attr; ok is false when the server sent none.
func (d *decoder) postOpAttr() (Attr, bool) {
	if !d.bool() {
		return Attr{}, false
	}
	return d.fattr(), true
}

// wcc skips wcc_data (pre- and post-operation attributes).
func (d *decoder) wcc() {
	if d.bool() {
		d.u64()
		d.nfstime()
		d.nfstime()
	}
	d.postOpAttr()
}

func (d *decoder) postOpFH() []byte {
	if !d.bool() {
		return nil
	}
	return d.opaque()
}

// sattrMode encodes a sattr3 that sets only the mode.
func (e *encoder) sattrMode(mode uint32) {
	e.bool(true)
	e.u32(mode)
	e.bool(false) // uid
	e.bool(false) // gid
	e.bool(false) // size
	e.u32(0)      // atime: don't change
	e.u32(0)      // mtime: don't change
}

func (e *encoder) dirop(dir []byte, name string) {
	e.opaque(dir)
	e.str(name)
}
