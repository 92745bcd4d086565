package blockcodec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/pierrec/lz4/v4"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	lz4Magic  = []byte{0x04, 0x22, 0x4d, 0x18}
)

// ErrMismatch means no decoding of an object reproduced the block's ID:
// the object is corrupt, truncated or not the block it is named after.
var ErrMismatch = errors.New("block content does not match its ID")

// Sniff names the encoding the payload's magic bytes announce: gzip
// (1f 8b), lz4 (04 22 4d 18) or none.
func Sniff(payload []byte) string {
	switch {
	case bytes.HasPrefix(payload, gzipMagic):
		return format.CompressionGzip
	case bytes.HasPrefix(payload, lz4Magic):
		return format.CompressionLZ4
	}
	return format.CompressionNone
}

// Decoder decompresses block payloads, reusing its decompressor state.
// Not safe for concurrent use: give each worker its own.
type Decoder struct {
	gz      *gzip.Reader
	lz      *lz4.Reader
	src     bytes.Reader
	scratch [1]byte
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

// DecodeVerified decodes payload into dst[:cap(dst)] and checks the result
// against the block ID id. It tries the sniffed encoding first, then the
// cfg's declared method, then raw bytes (a raw block may begin with a magic
// number by chance), and returns the first candidate whose SHA-512 prefix
// equals id, with the method that produced it. A block longer than
// cap(dst) is rejected. The error wraps ErrMismatch when nothing matched.
func (d *Decoder) DecodeVerified(dst, payload []byte, id, declared string) ([]byte, string, error) {
	candidates := []string{Sniff(payload)}
	if m, err := ParseMethod(declared); err == nil && m != candidates[0] {
		candidates = append(candidates, m)
	}
	if candidates[0] != format.CompressionNone && (len(candidates) < 2 || candidates[1] != format.CompressionNone) {
		candidates = append(candidates, format.CompressionNone)
	}
	var problems []string
	for _, m := range candidates {
		out, err := d.decode(dst, payload, m)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", m, err))
			continue
		}
		if format.BlockID(out) == id {
			return out, m, nil
		}
		problems = append(problems, m+": checksum differs")
	}
	return nil, "", fmt.Errorf("%w (tried %s)", ErrMismatch, strings.Join(problems, "; "))
}

// decode expands payload as method m into dst's capacity.
func (d *Decoder) decode(dst, payload []byte, m string) ([]byte, error) {
	d.src.Reset(payload)
	var r io.Reader
	switch m {
	case format.CompressionNone:
		if len(payload) > cap(dst) {
			return nil, fmt.Errorf("block is %d bytes, more than the %d allowed", len(payload), cap(dst))
		}
		return append(dst[:0], payload...), nil
	case format.CompressionGzip:
		if d.gz == nil {
			gz, err := gzip.NewReader(&d.src)
			if err != nil {
				return nil, err
			}
			d.gz = gz
		} else if err := d.gz.Reset(&d.src); err != nil {
			return nil, err
		}
		r = d.gz
	case format.CompressionLZ4:
		if d.lz == nil {
			d.lz = lz4.NewReader(&d.src)
		} else {
			d.lz.Reset(&d.src)
		}
		r = d.lz
	}
	return d.readLimited(dst, r)
}

// readLimited reads r to EOF into dst, failing if it holds more than cap(dst).
func (d *Decoder) readLimited(dst []byte, r io.Reader) ([]byte, error) {
	buf := dst[:cap(dst)]
	n, err := io.ReadFull(r, buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return buf[:n], nil
	case err != nil:
		return nil, err
	}
	extra, err := r.Read(d.scratch[:])
	if extra > 0 {
		return nil, fmt.Errorf("block expands to more than the %d bytes allowed", cap(dst))
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	return buf, nil
}
