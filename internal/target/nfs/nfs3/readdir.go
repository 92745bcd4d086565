package nfs3

import (
	"context"
	"errors"
)

// DirEntry is one READDIRPLUS entry. HasAttr is false when the server sent
// no attributes for it (the caller then LOOKUPs the name).
type DirEntry struct {
	Name    string
	Attr    Attr
	HasAttr bool
}

// ReadDirPlus calls fn for every entry of directory dir, "." and ".."
// included, paging through READDIRPLUS until the server reports the end.
// An error from fn stops the listing and is returned as is.
func (c *Conn) ReadDirPlus(ctx context.Context, dir []byte, fn func(DirEntry) error) error {
	var cookie uint64
	verf := make([]byte, 8)
	for {
		var e encoder
		e.opaque(dir)
		e.u64(cookie)
		e.fixed(verf)
		e.u32(64 << 10)  // dircount: bytes of names and cookies
		e.u32(512 << 10) // maxcount: whole reply
		d, err := c.nfs(ctx, procReadDirPlus, &e)
		if err != nil {
			return err
		}
		d.postOpAttr()
		verf = d.fixed(8)
		var batch []DirEntry
		for d.bool() {
			d.u64() // fileid
			var de DirEntry
			de.Name = d.str()
			cookie = d.u64()
			de.Attr, de.HasAttr = d.postOpAttr()
			d.postOpFH()
			batch = append(batch, de)
		}
		eof := d.bool()
		if d.err != nil {
			return d.err
		}
		for _, de := range batch {
			if err := fn(de); err != nil {
				return err
			}
		}
		if eof {
			return nil
		}
		if len(batch) == 0 {
			return errEmptyPage
		}
	}
}

// errEmptyPage stops a listing that would otherwise loop: the server sent
// no entries yet did not report the end of the directory.
var errEmptyPage = errors.New("READDIRPLUS returned no entries before the end of the directory")
