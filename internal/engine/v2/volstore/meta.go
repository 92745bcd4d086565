package volstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// run maps count consecutive logical clusters of a volume, from logical, to
// count consecutive physical clusters, from physical.
type run struct {
	logical, physical, count uint32
}

// volRecord is one volume as the metadata stores it.
type volRecord struct {
	uuid     [16]byte
	name     string
	size     uint64
	readOnly bool
	attrs    map[string]string
	runs     []run
}

// metaState is the decoded payload of a metadata copy.
type metaState struct {
	volumes []volRecord
	alloc   bitmap // the allocation map: data clusters some volume owns
}

const flagReadOnly uint32 = 1

// encodeMeta renders m as a payload (see FORMAT.md, "Metadata payload").
func encodeMeta(m *metaState) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, uint32(len(m.volumes)))
	for i := range m.volumes {
		v := &m.volumes[i]
		b = append(b, v.uuid[:]...)
		b = le.AppendUint16(b, uint16(len(v.name)))
		b = append(b, v.name...)
		b = le.AppendUint64(b, v.size)
		var flags uint32
		if v.readOnly {
			flags |= flagReadOnly
		}
		b = le.AppendUint32(b, flags)
		b = appendAttrs(b, v.attrs)
		b = le.AppendUint32(b, uint32(len(v.runs)))
		for _, r := range v.runs {
			b = le.AppendUint32(b, r.logical)
			b = le.AppendUint32(b, r.physical)
			b = le.AppendUint32(b, r.count)
		}
	}
	b = le.AppendUint32(b, uint32(len(m.alloc)))
	for _, w := range m.alloc {
		b = le.AppendUint64(b, w)
	}
	return b
}

// appendAttrs encodes attrs sorted by key, so equal maps encode equally.
func appendAttrs(b []byte, attrs map[string]string) []byte {
	le := binary.LittleEndian
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = le.AppendUint16(b, uint16(len(keys)))
	for _, k := range keys {
		b = le.AppendUint16(b, uint16(len(k)))
		b = append(b, k...)
		b = le.AppendUint16(b, uint16(len(attrs[k])))
		b = append(b, attrs[k]...)
	}
	return b
}

// attrsSize is the encoded size of attrs, compared against MaxAttrBytes.
func attrsSize(attrs map[string]string) int {
	n := 2
	for k, v := range attrs {
		n += 4 + len(k) + len(v)
	}
	return n
}

// decodeMeta parses a payload whose checksum has already been verified. It
// checks only the encoding; verify checks the meaning.
func decodeMeta(p []byte, dataClusters uint64) (*metaState, error) {
	d := &decoder{b: p}
	nvol := d.u32()
	if uint64(nvol) > uint64(len(p))/32 {
		return nil, fmt.Errorf("metadata claims %d volumes in %d bytes", nvol, len(p))
	}
	m := &metaState{volumes: make([]volRecord, 0, nvol)}
	for i := uint32(0); i < nvol && d.err == nil; i++ {
		m.volumes = append(m.volumes, d.volume())
	}
	words := d.u32()
	if d.err == nil && uint64(words) != bitmapWords(dataClusters) {
		return nil, fmt.Errorf("allocation map has %d words, the store needs %d", words, bitmapWords(dataClusters))
	}
	if d.err == nil && uint64(words)*8 > uint64(len(d.b)-d.off) {
		d.err = errTruncated
	}
	m.alloc = make(bitmap, 0, words)
	for i := uint32(0); i < words && d.err == nil; i++ {
		m.alloc = append(m.alloc, d.u64())
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode metadata at byte %d: %w", d.off, d.err)
	}
	if d.off != len(p) {
		return nil, fmt.Errorf("metadata has %d unexpected bytes after its end", len(p)-d.off)
	}
	return m, nil
}

var errTruncated = errors.New("payload ends inside a record")

// decoder reads little-endian fields; the first failure sticks in err and
// later reads return zero values.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.err = errTruncated
		return nil
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) u16() uint16 {
	if s := d.take(2); s != nil {
		return binary.LittleEndian.Uint16(s)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if s := d.take(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if s := d.take(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (d *decoder) str() string { return string(d.take(int(d.u16()))) }

func (d *decoder) volume() volRecord {
	var v volRecord
	copy(v.uuid[:], d.take(16))
	v.name = d.str()
	v.size = d.u64()
	flags := d.u32()
	if d.err == nil && flags&^flagReadOnly != 0 {
		d.err = fmt.Errorf("volume %q has unknown flags %#x", v.name, flags)
	}
	v.readOnly = flags&flagReadOnly != 0
	nattr := d.u16()
	v.attrs = make(map[string]string, nattr)
	for i := uint16(0); i < nattr && d.err == nil; i++ {
		k := d.str()
		v.attrs[k] = d.str()
	}
	nrun := d.u32()
	if d.err == nil && uint64(nrun)*runSize > uint64(len(d.b)-d.off) {
		d.err = errTruncated
	}
	if d.err != nil {
		return v
	}
	v.runs = make([]run, nrun)
	for i := range v.runs {
		v.runs[i] = run{logical: d.u32(), physical: d.u32(), count: d.u32()}
	}
	return v
}
