package nfs3

import (
	"context"
	"errors"
)

// NFSv3 procedure numbers (RFC 1813 §3.3).
const (
	procGetattr     = 1
	procLookup      = 3
	procRead        = 6
	procWrite       = 7
	procCreate      = 8
	procMkdir       = 9
	procRemove      = 12
	procRename      = 14
	procReadDirPlus = 17
	procFSInfo      = 19
	procCommit      = 21
)

// Stable is stable_how for WRITE.
type Stable uint32

// WRITE stability levels.
const (
	Unstable Stable = 0
	FileSync Stable = 2
)

// nfs calls an NFSv3 procedure and decodes its nfsstat3; on a non-OK
// status it returns that Status.
func (c *Conn) nfs(ctx context.Context, proc uint32, e *encoder) (*decoder, error) {
	d, err := c.call(ctx, progNFS, 3, proc, e.b)
	if err != nil {
		return nil, err
	}
	st := d.u32()
	if d.err != nil {
		return nil, d.err
	}
	if err := statusErr(st); err != nil {
		return nil, err
	}
	return d, nil
}

// Getattr returns the attributes of fh.
func (c *Conn) Getattr(ctx context.Context, fh []byte) (Attr, error) {
	var e encoder
	e.opaque(fh)
	d, err := c.nfs(ctx, procGetattr, &e)
	if err != nil {
		return Attr{}, err
	}
	a := d.fattr()
	return a, d.err
}

// Lookup returns the handle and attributes of name in directory dir.
func (c *Conn) Lookup(ctx context.Context, dir []byte, name string) ([]byte, Attr, error) {
	var e encoder
	e.dirop(dir, name)
	d, err := c.nfs(ctx, procLookup, &e)
	if err != nil {
		return nil, Attr{}, err
	}
	fh := d.opaque()
	a, ok := d.postOpAttr()
	if d.err != nil {
		return nil, Attr{}, d.err
	}
	if !ok {
		a, err = c.Getattr(ctx, fh)
	}
	return fh, a, err
}

// Read reads up to count bytes of fh at off; eof reports the end of file.
func (c *Conn) Read(ctx context.Context, fh []byte, off uint64, count uint32) (data []byte, eof bool, err error) {
	var e encoder
	e.opaque(fh)
	e.u64(off)
	e.u32(count)
	d, err := c.nfs(ctx, procRead, &e)
	if err != nil {
		return nil, false, err
	}
	d.postOpAttr()
	d.u32() // count, repeated by the opaque's length
	eof = d.bool()
	data = d.opaque()
	return data, eof, d.err
}

// Write writes data to fh at off and returns how many bytes the server
// took, how stably, and its write verifier (which changes when the server
// restarts and loses uncommitted data).
func (c *Conn) Write(ctx context.Context, fh []byte, off uint64, data []byte, how Stable) (n uint32, got Stable, verf uint64, err error) {
	var e encoder
	e.opaque(fh)
	e.u64(off)
	e.u32(uint32(len(data)))
	e.u32(uint32(how))
	e.opaque(data)
	d, err := c.nfs(ctx, procWrite, &e)
	if err != nil {
		return 0, 0, 0, err
	}
	d.wcc()
	n = d.u32()
	got = Stable(d.u32())
	verf = d.u64()
	return n, got, verf, d.err
}

// Commit makes every unstable write to fh durable and returns the write
// verifier to compare with the writes'.
func (c *Conn) Commit(ctx context.Context, fh []byte) (uint64, error) {
	var e encoder
	e.opaque(fh)
	e.u64(0)
	e.u32(0) // whole file
	d, err := c.nfs(ctx, procCommit, &e)
	if err != nil {
		return 0, err
	}
	d.wcc()
	verf := d.u64()
	return verf, d.err
}

// errNoHandle is returned when a server creates an object but sends no
// handle and the follow-up LOOKUP is impossible.
var errNoHandle = errors.New("server returned no file handle for the created object")

// Create makes a new regular file name in dir with GUARDED semantics: it
// fails with ErrExist if the name is taken, so concurrent writers never
// share a temporary file.
func (c *Conn) Create(ctx context.Context, dir []byte, name string, mode uint32) ([]byte, error) {
	var e encoder
	e.dirop(dir, name)
	e.u32(1) // GUARDED
	e.sattrMode(mode)
	return c.created(ctx, procCreate, &e, dir, name)
}

// Mkdir makes directory name in dir.
func (c *Conn) Mkdir(ctx context.Context, dir []byte, name string, mode uint32) ([]byte, error) {
	var e encoder
	e.dirop(dir, name)
	e.sattrMode(mode)
	return c.created(ctx, procMkdir, &e, dir, name)
}

func (c *Conn) created(ctx context.Context, proc uint32, e *encoder, dir []byte, name string) ([]byte, error) {
	d, err := c.nfs(ctx, proc, e)
	if err != nil {
		return nil, err
	}
	fh := d.postOpFH()
	if d.err != nil {
		return nil, d.err
	}
	if fh != nil {
		return fh, nil
	}
	fh, _, err = c.Lookup(ctx, dir, name)
	if err != nil {
		return nil, errors.Join(errNoHandle, err)
	}
	return fh, nil
}

// Remove removes the non-directory name from dir.
func (c *Conn) Remove(ctx context.Context, dir []byte, name string) error {
	var e encoder
	e.dirop(dir, name)
	_, err := c.nfs(ctx, procRemove, &e)
	return err
}

// Rename atomically renames fromDir/from to toDir/to, replacing any
// existing object there.
func (c *Conn) Rename(ctx context.Context, fromDir []byte, from string, toDir []byte, to string) error {
	var e encoder
	e.dirop(fromDir, from)
	e.dirop(toDir, to)
	_, err := c.nfs(ctx, procRename, &e)
	return err
}

// FSInfo is the part of FSINFO's result plinth uses: the largest READ and
// WRITE sizes the server accepts.
type FSInfo struct {
	RTMax, WTMax uint32
}

// FSInfo returns the transfer limits of the file system holding fh.
func (c *Conn) FSInfo(ctx context.Context, fh []byte) (FSInfo, error) {
	var e encoder
	e.opaque(fh)
	d, err := c.nfs(ctx, procFSInfo, &e)
	if err != nil {
		return FSInfo{}, err
	}
	d.postOpAttr()
	var fi FSInfo
	fi.RTMax = d.u32()
	d.u32() // rtpref
	d.u32() // rtmult
	fi.WTMax = d.u32()
	return fi, d.err
}
