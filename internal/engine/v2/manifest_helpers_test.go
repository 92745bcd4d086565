package v2

import (
	"context"
	"os"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// memBackup is a backup held in memory, restored block by block like the
// backup store does (zero blocks left unwritten). manifest and checksum
// are what it claims to have proved.
type memBackup struct {
	data     []byte
	checksum string
	manifest *engine.Manifest
	format   imagefmt.Format
	restores int
}

var _ engine.BackupReader = (*memBackup)(nil)

func (b *memBackup) Restore(_ context.Context, sink engine.Sink, progress func(done, total int64)) (engine.Restored, error) {
	b.restores++
	size := int64(len(b.data))
	if err := sink.Prepare(size); err != nil {
		return engine.Restored{}, err
	}
	for i := range engine.NumBlocks(size) {
		block := b.data[int64(i)*engine.BlockSize:][:engine.BlockLen(i, size)]
		if engine.AllZero(block) {
			continue
		}
		if _, err := sink.WriteAt(block, int64(i)*engine.BlockSize); err != nil {
			return engine.Restored{}, err
		}
	}
	if progress != nil {
		progress(size, size)
	}
	return engine.Restored{Checksum: b.checksum, Manifest: b.manifest}, sink.Sync()
}

func (b *memBackup) Format(context.Context) (imagefmt.Format, error) { return b.format, nil }

// memSource is bytes as an engine.Source.
type memSource []byte

func (m memSource) ReadAt(p []byte, off int64) (int, error) { return copy(p, m[off:]), nil }
func (m memSource) Size() int64                             { return int64(len(m)) }
func (m memSource) DataExtents(context.Context) ([]engine.Extent, error) {
	return []engine.Extent{{Offset: 0, Length: int64(len(m))}}, nil
}

// manifestOf is the manifest of content, built independently of the disk.
func manifestOf(t *testing.T, content []byte) *engine.Manifest {
	t.Helper()
	m, err := engine.Build(ctx, memSource(content), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func expectManifest(t *testing.T, d *Disk, id CopyID, want *engine.Manifest) {
	t.Helper()
	got, err := d.Manifest(ctx, id)
	if err != nil {
		t.Fatalf("Manifest(%s): %v", id, err)
	}
	if got.Size != want.Size || got.Checksum != want.Checksum || len(got.Blocks) != len(want.Blocks) {
		t.Fatalf("manifest of %s: %d bytes %s, want %d bytes %s", id, got.Size, got.Checksum, want.Size, want.Checksum)
	}
	for i := range got.Blocks {
		if got.Blocks[i] != want.Blocks[i] {
			t.Fatalf("manifest of %s: block %d is %s, want %s", id, i, got.Blocks[i], want.Blocks[i])
		}
	}
}

// flipByte damages the copy id behind the volume store's back: it flips
// one bit of the byte at off of the copy, in the disk file at the
// volume's cluster offset.
func flipByte(t *testing.T, d *Disk, id CopyID, off int64) {
	t.Helper()
	v, err := d.store.Get(id.String())
	if err != nil {
		t.Fatal(err)
	}
	at, ok := v.DiskOffset(off)
	if !ok {
		t.Fatalf("byte %d of copy %s is in a hole", off, id)
	}
	f, err := os.OpenFile(d.Path(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// fileCopy is a copy kept in a plain file, read the way data engine v1's
// reader offers it (a CopyReader with FilePath).
type fileCopy struct {
	*engine.FileSource
	*os.File
}

func openFileCopy(t *testing.T, path string) *fileCopy {
	t.Helper()
	s, err := openFileSource(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &fileCopy{FileSource: s, File: f}
	t.Cleanup(func() { c.Close() })
	return c
}

func (c *fileCopy) ReadAt(p []byte, off int64) (int, error) { return c.FileSource.ReadAt(p, off) }
func (c *fileCopy) FilePath() string                        { return c.File.Name() }
func (c *fileCopy) Close() error                            { c.FileSource.Close(); return c.File.Close() }

var _ engine.CopyReader = (*fileCopy)(nil)

// testContent is an image of blocks: data, zeros, data, a repeat of block
// 0, a hole's worth of zeros and a partial data block.
func testContent() []byte {
	size := 5*engine.BlockSize + engine.BlockSize/2
	data := make([]byte, size)
	copy(data, randomBytes(1, engine.BlockSize))
	copy(data[2*engine.BlockSize:], randomBytes(2, engine.BlockSize))
	copy(data[3*engine.BlockSize:], data[:engine.BlockSize])
	copy(data[5*engine.BlockSize:], randomBytes(3, engine.BlockSize/2))
	return data
}
