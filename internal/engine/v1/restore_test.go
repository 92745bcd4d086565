package v1

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
)

func TestRandomWriterCommitsOutOfOrderWrites(t *testing.T) {
	d, err := OpenDisk(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	id := CopyID{Name: "restored", UUID: "abcd1234"}
	w, err := d.CreateRandom(id)
	if err != nil {
		t.Fatal(err)
	}
	const block = 1 << 20
	want := make([]byte, 6*block)
	for i := range want[2*block : 4*block] {
		want[2*block+i] = byte(i % 251)
	}
	if err := w.Prepare(int64(len(want))); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, off := range []int{3 * block, 2 * block} {
		wg.Add(1)
		go func(off int) {
			defer wg.Done()
			if _, err := w.WriteAt(want[off:off+block], int64(off)); err != nil {
				t.Error(err)
			}
		}(off)
	}
	wg.Wait()
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(want)
	cfg, err := w.Commit(hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Size != int64(len(want)) || cfg.CurrentChecksum != hex.EncodeToString(sum[:]) {
		t.Fatalf("cfg = %+v", cfg)
	}
	got, err := os.ReadFile(d.BackingPath(id))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("content differs (%v)", err)
	}
	if _, err := d.CreateRandom(id); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	if _, err := d.Verify(t.Context(), id); err != nil {
		t.Fatalf("verify committed copy: %v", err)
	}
}

func TestRandomWriterAbortLeavesNothing(t *testing.T) {
	d, _ := OpenDisk(t.TempDir(), "")
	id := CopyID{Name: "gone", UUID: "abcd1234"}
	w, err := d.CreateRandom(id)
	if err != nil {
		t.Fatal(err)
	}
	w.Prepare(1 << 20)
	w.Abort()
	if _, err := os.Stat(d.CopyDir(id)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("copy folder left after abort: %v", err)
	}
}
