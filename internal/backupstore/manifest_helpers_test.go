package backupstore

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/file"
	"github.com/plinth-storage/plinth/internal/target/s3"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// countingSource counts the ReadAt calls made on a Source.
type countingSource struct {
	Source
	reads atomic.Int64
	bytes atomic.Int64
}

func (c *countingSource) ReadAt(p []byte, off int64) (int, error) {
	c.reads.Add(1)
	c.bytes.Add(int64(len(p)))
	return c.Source.ReadAt(p, off)
}

// blockGets counts Gets of each block key through a never-failing rule.
type blockGets struct {
	mu   sync.Mutex
	keys map[string]int
}

func countBlockGets(ft *faulty.Target) *blockGets {
	g := &blockGets{keys: map[string]int{}}
	ft.Add(faulty.Rule{Ops: []string{target.OpGet}, Match: func(_, key string) bool {
		if strings.HasPrefix(key, format.BlocksDir+"/") {
			g.mu.Lock()
			g.keys[key]++
			g.mu.Unlock()
		}
		return false
	}})
	return g
}

// total returns all block Gets and the largest count of one key.
func (g *blockGets) total() (n, most int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.keys {
		n += c
		most = max(most, c)
	}
	return n, most
}

// realTargets runs fn against a fresh file target and a fresh bucket on a
// versitygw S3 server.
func realTargets(t *testing.T, fn func(t *testing.T, tgt target.Target)) {
	t.Run("file", func(t *testing.T) { fn(t, file.New(t.TempDir())) })
	t.Run("s3", func(t *testing.T) {
		srv := testenv.VersityGW(t)
		tgt, err := s3.New(s3.Config{
			Bucket: srv.NewBucket(t), Region: srv.Region, Endpoint: srv.Endpoint, PathStyle: true,
			AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tgt.Close() })
		fn(t, tgt)
	})
}

// manifestOf builds img's manifest the way an engine does.
func manifestOf(t testing.TB, img []byte) *engine.Manifest {
	t.Helper()
	m, err := engine.Build(context.Background(), &BytesSource{Data: img}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameManifest(a, b *engine.Manifest) bool {
	if a == nil || b == nil || a.Size != b.Size || a.Checksum != b.Checksum || len(a.Blocks) != len(b.Blocks) {
		return false
	}
	for i := range a.Blocks {
		if a.Blocks[i] != b.Blocks[i] {
			return false
		}
	}
	return true
}

// repeatedImage is blocks of 2 MiB laid out by pattern: a letter is a
// random block named by it (the same letter, the same bytes), '0' an
// allocated zero block, '_' a hole; tail random bytes end the image.
func repeatedImage(pattern string, tail int) ([]byte, []Extent) {
	img := make([]byte, len(pattern)*format.BlockSize+tail)
	var ext []Extent
	for i, c := range pattern {
		off := i * format.BlockSize
		if c != '_' {
			ext = append(ext, Extent{Offset: int64(off), Length: format.BlockSize})
		}
		if c != '0' && c != '_' {
			copy(img[off:], randomBytes(uint64(c), format.BlockSize))
		}
	}
	if tail > 0 {
		copy(img[len(pattern)*format.BlockSize:], randomBytes(99, tail))
		ext = append(ext, Extent{Offset: int64(len(pattern) * format.BlockSize), Length: int64(tail)})
	}
	return img, ext
}
