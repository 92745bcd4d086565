package backupstore

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
)

const mib = 1 << 20

// testOptions shortens the lock protocol so tests run in milliseconds.
func testOptions() Options {
	return Options{
		Lock:        lock.Config{Expiry: 5 * time.Second, Refresh: time.Second, CheckWait: 5 * time.Millisecond},
		LockTimeout: 10 * time.Second,
		Concurrency: 4,
	}
}

// randomBytes returns n deterministic pseudo-random bytes for seed.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// mixedImage is size bytes of: random data, a repeated 2 MiB pattern, an
// allocated all-zero region and (when sparse) a hole left out of the
// extents; the tail is random so the last block is partial when size is
// not a multiple of 2 MiB.
func mixedImage(seed uint64, size int) ([]byte, []Extent) {
	img := make([]byte, size)
	quarter := size / 4 / format.BlockSize * format.BlockSize
	copy(img, randomBytes(seed, quarter))
	pattern := randomBytes(seed+1, format.BlockSize)
	for off := quarter; off+format.BlockSize <= 2*quarter; off += format.BlockSize {
		copy(img[off:], pattern)
	}
	// [2q, 3q) stays zero but is allocated; [3q, 3q+q/2) is a hole.
	holeEnd := 3*quarter + quarter/2
	copy(img[holeEnd:], randomBytes(seed+2, size-holeEnd))
	extents := []Extent{{Offset: 0, Length: int64(3 * quarter)}, {Offset: int64(holeEnd), Length: int64(size - holeEnd)}}
	return img, extents
}

func backupBytes(t testing.TB, st *Store, name string, img []byte, extents []Extent, compression string) BackupResult {
	t.Helper()
	res, err := st.Backup(context.Background(), BackupRequest{
		Name: name, Source: &BytesSource{Data: img, Extents: extents}, Compression: compression,
	}, nil)
	if err != nil {
		t.Fatalf("backup %s: %v", name, err)
	}
	return res
}

func restoreBytes(t testing.TB, st *Store, name string) ([]byte, RestoreResult) {
	t.Helper()
	sink := &BytesSink{}
	res, err := st.Restore(context.Background(), name, sink, RestoreOptions{}, nil)
	if err != nil {
		t.Fatalf("restore %s: %v", name, err)
	}
	data, synced := sink.Bytes()
	if !synced {
		t.Fatalf("restore %s did not sync the sink", name)
	}
	return data, res
}

func assertSameImage(t testing.TB, got, want []byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("restored %d bytes, want %d", len(got), len(want))
	}
	if !bytes.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("restored image differs first at byte %d", i)
			}
		}
	}
}

// countPuts counts Puts under prefix through a never-failing fault rule.
func countPuts(ft *faulty.Target, prefix string) *atomic.Int64 {
	var n atomic.Int64
	ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Match: func(_, key string) bool {
		if strings.HasPrefix(key, prefix) {
			n.Add(1)
		}
		return false
	}})
	return &n
}

// poolKeys lists the block objects in tgt's pool.
func poolKeys(t testing.TB, tgt target.Target) []string {
	t.Helper()
	var keys []string
	err := tgt.Walk(context.Background(), format.BlocksDir, func(e target.Entry) error {
		keys = append(keys, e.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
