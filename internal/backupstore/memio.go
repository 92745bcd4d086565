package backupstore

import (
	"context"
	"fmt"
	"sync"
)

// BytesSource is a Source over an in-memory image, for tests and small
// images. Extents nil means the whole image may hold data.
type BytesSource struct {
	Data    []byte
	Extents []Extent
}

var _ Source = (*BytesSource)(nil)

// ReadAt copies from Data; reading past the end is an error.
func (b *BytesSource) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(b.Data)) {
		return 0, fmt.Errorf("read %d bytes at %d: beyond the %d-byte image", len(p), off, len(b.Data))
	}
	return copy(p, b.Data[off:]), nil
}

// Size is len(Data).
func (b *BytesSource) Size() int64 { return int64(len(b.Data)) }

// DataExtents returns Extents, or one extent over the whole image.
func (b *BytesSource) DataExtents(context.Context) ([]Extent, error) {
	if b.Extents == nil {
		return []Extent{{Offset: 0, Length: int64(len(b.Data))}}, nil
	}
	return b.Extents, nil
}

// BytesSink is a Sink collecting a restored image in memory.
type BytesSink struct {
	mu     sync.Mutex
	data   []byte
	synced bool
}

var _ Sink = (*BytesSink)(nil)

// Prepare allocates size zero bytes.
func (b *BytesSink) Prepare(size int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data, b.synced = make([]byte, size), false
	return nil
}

// WriteAt copies p into the image.
func (b *BytesSink) WriteAt(p []byte, off int64) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if off < 0 || off+int64(len(p)) > int64(len(b.data)) {
		return 0, fmt.Errorf("write %d bytes at %d: beyond the %d-byte image", len(p), off, len(b.data))
	}
	return copy(b.data[off:], p), nil
}

// Sync marks the image complete.
func (b *BytesSink) Sync() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.synced = true
	return nil
}

// Bytes returns the image and whether Sync was called after the last
// Prepare.
func (b *BytesSink) Bytes() ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.data, b.synced
}
