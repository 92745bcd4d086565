package backupstore

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/file"
)

func TestRestoreFetchesEachDistinctBlockOnce(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ft := faulty.Wrap(tgt)
		st := New(ft, testOptions())
		img, ext := repeatedImage("ABAAC0AB_CA", 1<<20+3)
		backupBytes(t, st, "rep", img, ext, "lz4")
		gets := countBlockGets(ft)
		out := filepath.Join(t.TempDir(), "restored")
		sink, err := CreateFileSink(out)
		if err != nil {
			t.Fatal(err)
		}
		var seen []Progress
		res, err := st.Restore(context.Background(), "rep", sink, RestoreOptions{}, func(p Progress) { seen = append(seen, p) })
		sink.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		assertSameImage(t, got, img)
		// A, B, C and the tail: four distinct IDs for ten listed blocks.
		if n, most := gets.total(); n != 4 || most != 1 || res.Blocks != 4 || len(res.Config.Blocks) != 10 {
			t.Fatalf("%d block gets (at most %d of one key), %d blocks fetched, %d listed", n, most, res.Blocks, len(res.Config.Blocks))
		}
		if !res.ChecksumVerified || res.FullPass || res.Checksum != res.Config.Checksum {
			t.Fatalf("result %+v", res)
		}
		if want := manifestOf(t, got); !sameManifest(res.Manifest, want) {
			t.Fatalf("restore's manifest %+v, the restored bytes' %+v", res.Manifest, want)
		}
		if r := res.Restored(); r.Checksum != res.Checksum || r.Manifest != res.Manifest || r.FullPass {
			t.Fatalf("Restored() = %+v", r)
		}
		checkProgress(t, seen, int64(len(img)))
	})
}

func checkProgress(t *testing.T, seen []Progress, size int64) {
	t.Helper()
	if len(seen) < 2 || seen[len(seen)-1].Percent != 100 || seen[len(seen)-1].Done != size {
		t.Fatalf("progress %+v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Done < seen[i-1].Done || seen[i].Percent < seen[i-1].Percent || (i < len(seen)-1 && seen[i].Percent == 100) {
			t.Fatalf("progress out of order: %+v", seen)
		}
	}
	if seen[len(seen)-2].Done > size {
		t.Fatalf("progress counted more than the image: %+v", seen)
	}
}

// A block used at several offsets that does not match its ID fails the
// restore naming its key and its first offset.
func TestRestoreOfARepeatedCorruptBlockNamesIt(t *testing.T) {
	ctx := context.Background()
	tgt := file.New(t.TempDir())
	st := New(tgt, testOptions())
	img, _ := repeatedImage("CABAB", 0)
	res := backupBytes(t, st, "img", img, nil, "gzip")
	key := format.BlockKey(format.BlockID(img[format.BlockSize : 2*format.BlockSize]))
	payload, err := tgt.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	payload[len(payload)/2] ^= 0x10
	if err := tgt.Put(ctx, key, payload); err != nil {
		t.Fatal(err)
	}
	sink := &BytesSink{}
	_, err = st.Restore(ctx, "img", sink, RestoreOptions{}, nil)
	var be *BlockError
	if !errors.As(err, &be) || be.Key != key || be.Offset != format.BlockSize || len(res.Config.Blocks) != 5 {
		t.Fatalf("restore of a corrupt repeated block: %v", err)
	}
	if _, synced := sink.Bytes(); synced {
		t.Fatal("a failed restore synced its sink")
	}
}

// Transient failures are retried per block within RetryFor; blocks
// already restored are not fetched again.
func TestDistinctRestoreRetriesTransientGets(t *testing.T) {
	old := getRetryInitial
	getRetryInitial = 10 * time.Millisecond
	t.Cleanup(func() { getRetryInitial = old })
	ft := faulty.Wrap(file.New(t.TempDir()))
	st := New(ft, testOptions())
	img, _ := repeatedImage("ABCABCD", 0)
	backupBytes(t, st, "img", img, nil, "lz4")
	gets := countBlockGets(ft)
	ft.Add(faulty.Rule{Ops: []string{target.OpGet}, Prefix: format.BlocksDir + "/", Times: 3, Kind: target.KindTransient})
	sink := &BytesSink{}
	res, err := st.Restore(context.Background(), "img", sink, RestoreOptions{RetryFor: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := sink.Bytes()
	assertSameImage(t, got, img)
	if n, _ := gets.total(); n != 4+3 || res.Blocks != 4 {
		t.Fatalf("%d block gets for 4 distinct blocks and 3 failures; %d fetched", n, res.Blocks)
	}
}

// A foreign cfg (its Checksum not a SHA-512) is restored with a full
// ordered pass that computes the image's SHA-512, and still yields the
// manifest; a block stored short in the middle of the image and an
// allocated zero block (both only foreign writers make) get the manifest
// entries the restored bytes have.
func TestForeignCfgFullPass(t *testing.T) {
	ctx := context.Background()
	tgt := file.New(t.TempDir())
	size := 5*format.BlockSize + 300
	img := make([]byte, size)
	a := randomBytes(60, format.BlockSize)
	copy(img, a)
	copy(img[format.BlockSize:], randomBytes(61, format.BlockSize/2)) // short block, zeros after it
	copy(img[3*format.BlockSize:], a)                                 // block 2 is allocated zeros, 3 repeats 0
	copy(img[5*format.BlockSize:], randomBytes(62, 300))
	var list []string
	for _, b := range []struct{ off, n int }{{0, format.BlockSize}, {format.BlockSize, format.BlockSize / 2},
		{2 * format.BlockSize, format.BlockSize}, {3 * format.BlockSize, format.BlockSize}, {5 * format.BlockSize, 300}} {
		raw := img[b.off : b.off+b.n]
		id := format.BlockID(raw)
		if err := tgt.Put(ctx, format.BlockKey(id), encodeLike(t, "lz4", raw)); err != nil {
			t.Fatal(err)
		}
		list = append(list, fmt.Sprintf(`{"Offset":%d,"BlockChecksum":"%s"}`, b.off, id))
	}
	sum := sha512.Sum512(img)
	for name, checksum := range map[string]string{"lh-opaque": "deadbeef", "lh-sha": hex.EncodeToString(sum[:])} {
		cfg := fmt.Sprintf(`{"Name":%q,"Size":"%d","BlockCount":"5","Checksum":%q,"CompressionMethod":"lz4",`+
			`"CreatedTime":"2024-01-01T00:00:00Z","CompleteTime":"2024-01-01T00:00:09Z","Blocks":[%s]}`, name, size, checksum, strings.Join(list, ","))
		if err := tgt.Put(ctx, format.ConfigKey(name), []byte(cfg)); err != nil {
			t.Fatal(err)
		}
		got, res := restoreBytes(t, New(tgt, testOptions()), name)
		assertSameImage(t, got, img)
		foreign := name == "lh-opaque"
		if res.FullPass != foreign || res.ChecksumVerified == foreign || res.Checksum != hex.EncodeToString(sum[:]) {
			t.Fatalf("%s: result %+v", name, res)
		}
		if want := manifestOf(t, img); !sameManifest(res.Manifest, want) {
			t.Fatalf("%s: manifest %+v, the image's %+v", name, res.Manifest, want)
		}
	}
}
