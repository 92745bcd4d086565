package nfs3

import (
	"encoding/binary"
	"errors"
)

// encoder appends XDR (RFC 4506) items to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }

func (e *encoder) bool(v bool) {
	if v {
		e.u32(1)
		return
	}
	e.u32(0)
}

// opaque appends variable-length opaque data: a length, the bytes and zero
// padding to a multiple of four.
func (e *encoder) opaque(p []byte) {
	e.u32(uint32(len(p)))
	e.fixed(p)
}

// fixed appends fixed-length opaque data (no length prefix) with padding.
func (e *encoder) fixed(p []byte) {
	e.b = append(e.b, p...)
	for len(e.b)%4 != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) str(s string) { e.opaque([]byte(s)) }

// errShort is the decode error for a reply that ends early or declares
// impossible lengths: the server (or the stream framing) is broken.
var errShort = errors.New("malformed XDR reply: truncated or oversized item")

// decoder reads XDR items from a reply. The first failure sticks: later
// reads return zero values and err reports the failure, so callers decode a
// whole structure and check err once.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || d.off+n > len(d.b) {
		d.err = errShort
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) u32() uint32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (d *decoder) u64() uint64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

func (d *decoder) bool() bool { return d.u32() != 0 }

// opaque returns variable-length opaque data. The slice aliases the reply
// buffer, which is never reused, so callers may keep it.
func (d *decoder) opaque() []byte {
	n := int(d.u32())
	return d.fixed(n)
}

// fixed returns n bytes of fixed-length opaque data and skips the padding.
func (d *decoder) fixed(n int) []byte {
	p := d.take(n)
	d.take((4 - n%4) % 4)
	return p
}

func (d *decoder) str() string { return string(d.opaque()) }
