package v2

import (
	"sync"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// restoreBlocks writes blocks (2 MiB, by index) into w concurrently, as a
// restore does, and returns the whole content of an image of size bytes.
func restoreBlocks(t *testing.T, w engine.Sink, size int64, blocks map[int64][]byte) []byte {
	t.Helper()
	if err := w.Prepare(size); err != nil {
		t.Fatal(err)
	}
	content := make([]byte, size)
	var wg sync.WaitGroup
	errs := make(chan error, len(blocks))
	for idx, data := range blocks {
		copy(content[idx*cs:], data)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.WriteAt(data, idx*cs); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	return content
}

// TestRandomWriterRestoreWithHoles restores blocks in parallel with holes
// and a block of zeros: only the data blocks allocate clusters, the copy
// reads back exactly, and it is ready and read-only after Commit.
func TestRandomWriterRestoreWithHoles(t *testing.T) {
	d, _ := testDisk(t, 256<<20)
	before := available(t, d)
	id := CopyID{Name: "restored", UUID: "uuid-r"}
	w, err := d.CreateRandom(id)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	_, err = d.CreateRandom(id)
	expectErr(t, err, ErrBusy, "a second writer of the same copy")
	const size = 20*cs + 4096 // a partial last block
	blocks := map[int64][]byte{
		0: randomBytes(10, int(cs)), 3: randomBytes(11, int(cs)), 4: make([]byte, cs), // zeros: no cluster
		9: randomBytes(12, int(cs)), 20: randomBytes(13, 4096),
	}
	content := restoreBlocks(t, w, size, blocks)
	if open, err := d.Open(id); err == nil {
		t.Fatalf("an unfinished copy opened: %+v", open)
	}
	sum := sha512Hex(content)
	cfg, err := w.Commit(ctx, sum, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentChecksum != sum || cfg.Size != size || cfg.State != StateReady || cfg.RealSize != 4*cs {
		t.Fatalf("config %+v (allocated %d clusters, want 4)", cfg, cfg.RealSize/cs)
	}
	expectAvailable(t, d, before-5*cs, "after the restore (4 clusters and the manifest's)")
	expectContent(t, d, id, content)
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = w.WriteAt([]byte{1}, 0)
	expectErr(t, err, volstore.ErrReadOnly, "a write after Commit")
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort after Commit: %v", err)
	}
	expectContent(t, d, id, content)
	checkClean(t, d)
}

// TestRandomWriterAbort frees everything written; Commit without Prepare
// or without a checksum fails and leaves nothing.
func TestRandomWriterAbort(t *testing.T) {
	d, _ := testDisk(t, 256<<20)
	before := available(t, d)
	id := CopyID{Name: "aborted", UUID: "u"}
	w, err := d.CreateRandom(id)
	if err != nil {
		t.Fatal(err)
	}
	restoreBlocks(t, w, 8*cs, map[int64][]byte{1: randomBytes(1, int(cs)), 2: randomBytes(2, int(cs))})
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	expectAvailable(t, d, before, "after Abort")
	if n := len(d.ListCopies()); n != 0 {
		t.Fatalf("%d volumes after Abort", n)
	}

	w, err = d.CreateRandom(id) // the claim was released
	if err != nil {
		t.Fatal(err)
	}
	restoreBlocks(t, w, 4*cs, map[int64][]byte{0: randomBytes(3, int(cs))})
	if _, err := w.Commit(ctx, "", nil); err == nil {
		t.Fatal("Commit without a checksum succeeded")
	}
	expectAvailable(t, d, before, "after a failed Commit")
	checkClean(t, d)
}
