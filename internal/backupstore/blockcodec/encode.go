// Package blockcodec encodes and decodes the payload of one block object.
//
// A block object is raw bytes, a gzip stream or an LZ4 frame; the object
// itself does not say which (the owning cfg records a method, but the
// shared pool mixes methods because the first uploader of a block wins).
// Encoding follows the configured method; decoding sniffs the magic bytes
// and accepts whatever candidate reproduces the block's ID, so any mix of
// encodings in a pool restores.
package blockcodec

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/gzip"
	"github.com/pierrec/lz4/v4"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

// ParseMethod normalises a CompressionMethod: "" is the legacy gzip; any
// name other than none, gzip and lz4 is an error (Longhorn could not read
// it).
func ParseMethod(m string) (string, error) {
	switch m {
	case "":
		return format.LegacyCompression, nil
	case format.CompressionNone, format.CompressionGzip, format.CompressionLZ4:
		return m, nil
	}
	return "", fmt.Errorf("unknown compression method %q: use none, gzip or lz4", m)
}

// Encoder compresses blocks with one method, reusing its buffers and
// compressor state between calls. An Encoder is not safe for concurrent
// use: give each worker its own.
type Encoder struct {
	method string
	buf    bytes.Buffer
	gz     *gzip.Writer
	lz     *lz4.Writer
}

// NewEncoder returns an Encoder for method (see ParseMethod).
func NewEncoder(method string) (*Encoder, error) {
	m, err := ParseMethod(method)
	if err != nil {
		return nil, err
	}
	e := &Encoder{method: m}
	switch m {
	case format.CompressionGzip:
		// Default level and an empty header (no name, no mtime), as Go's
		// compress/gzip writes it upstream: the stream is standard gzip.
		e.gz = gzip.NewWriter(&e.buf)
	case format.CompressionLZ4:
		// pierrec/lz4 v4 defaults, as upstream: a frame with 4 MiB blocks,
		// independent blocks and a content checksum.
		e.lz = lz4.NewWriter(&e.buf)
	}
	return e, nil
}

// Method is the method this Encoder writes.
func (e *Encoder) Method() string { return e.method }

// Encode returns raw in the Encoder's method. The result aliases raw (for
// none) or the Encoder's buffer, and is valid until the next call.
func (e *Encoder) Encode(raw []byte) ([]byte, error) {
	if e.method == format.CompressionNone {
		return raw, nil
	}
	e.buf.Reset()
	var err error
	switch e.method {
	case format.CompressionGzip:
		e.gz.Reset(&e.buf)
		if _, err = e.gz.Write(raw); err == nil {
			err = e.gz.Close()
		}
	case format.CompressionLZ4:
		e.lz.Reset(&e.buf)
		if _, err = e.lz.Write(raw); err == nil {
			err = e.lz.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s-compress block: %w", e.method, err)
	}
	return e.buf.Bytes(), nil
}
