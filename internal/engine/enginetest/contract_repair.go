package enginetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

func contractVerifyRepair(t *testing.T, h Harness) {
	ctx := context.Background()
	d, id, data := h.New(t), testID(t), Image(6, testBlocks)
	rec := put(t, d, id, data)
	if got, err := d.Verify(ctx, id, engine.VerifyOptions{}); err != nil || got != rec {
		t.Fatalf("Verify of an intact copy: %+v, %v", got, err)
	}
	bad := int64(2 * engine.BlockSize)
	if !h.Flip(t, d, id, bad+12345) {
		t.Fatalf("Flip found nothing stored in data block %d", bad/engine.BlockSize)
	}
	var progressed atomic.Int64 // Progress may be called from several goroutines
	_, err := d.Verify(ctx, id, engine.VerifyOptions{BytesPerSecond: 1 << 30, Progress: func(n int64) { progressed.Store(n) }})
	var de *engine.DamagedError
	if !errors.As(err, &de) || !errors.Is(err, engine.ErrDamaged) {
		t.Fatalf("Verify after a flip: %v, want a *DamagedError", err)
	}
	if !slices.Equal(de.Offsets, []int64{bad}) || de.ID != id || de.Whole {
		t.Fatalf("DamagedError names %v (copy %s, whole %v), want block at %d of %s", de.Offsets, de.ID, de.Whole, bad, id)
	}
	if progressed.Load() == 0 {
		t.Fatal("Verify never called Progress")
	}
	block := data[bad : bad+engine.BlockSize]
	wrong := bytes.Clone(block)
	wrong[7] ^= 1
	if err := d.Repair(ctx, id, bad, wrong); !errors.Is(err, engine.ErrChecksumMismatch) {
		t.Fatalf("Repair with wrong bytes: %v, want ErrChecksumMismatch", err)
	}
	if err := d.Repair(ctx, id, bad, block[:100]); err == nil {
		t.Fatal("Repair with a short block succeeded")
	}
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); !errors.As(err, &de) {
		t.Fatalf("a refused Repair wrote something: Verify says %v", err)
	}
	if err := d.Repair(ctx, id, bad, block); err != nil {
		t.Fatalf("Repair with the right bytes: %v", err)
	}
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); err != nil {
		t.Fatalf("Verify after Repair: %v", err)
	}
	if !bytes.Equal(readAll(t, d, id), data) {
		t.Fatal("content after Repair differs from the original")
	}
	// A zero block that rots is found too, and repaired with zeros.
	if !h.Flip(t, d, id, engine.BlockSize+1) {
		return // the engine stores no zero blocks: nothing there can rot
	}
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); !errors.As(err, &de) || !slices.Equal(de.Offsets, []int64{engine.BlockSize}) {
		t.Fatalf("Verify after a flip in the zero block: %v", err)
	}
	if err := d.Repair(ctx, id, engine.BlockSize, make([]byte, engine.BlockSize)); err != nil {
		t.Fatalf("Repair of the zero block: %v", err)
	}
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); err != nil {
		t.Fatalf("Verify after repairing the zero block: %v", err)
	}
}

func contractReplicate(t *testing.T, h Harness) {
	ctx := context.Background()
	src, dst, id, data := h.New(t), h.New(t), testID(t), Image(7, testBlocks)
	put(t, src, id, data)
	m, err := src.Manifest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	replicate := func(m *engine.Manifest) (engine.Record, error) {
		r, err := src.Open(id)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return dst.Replicate(ctx, id, r, m, imagefmt.Limits{}, nil)
	}
	// A manifest that does not match the source's block 2 fails, naming it.
	lying := *m
	lying.Blocks = slices.Clone(m.Blocks)
	lying.Blocks[2][0] ^= 1
	_, err = replicate(&lying)
	var de *engine.DamagedError
	if !errors.As(err, &de) || !slices.Equal(de.Offsets, []int64{2 * engine.BlockSize}) {
		t.Fatalf("Replicate against a wrong manifest: %v, want a *DamagedError naming block 2", err)
	}
	if err := dst.Present(id); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a failed Replicate left a copy: %v", err)
	}
	rec, err := replicate(m)
	if err != nil {
		t.Fatalf("Replicate: %v", err)
	}
	if rec.Checksum != m.Checksum || rec.Size != m.Size {
		t.Fatalf("Replicate record %+v, source manifest %d bytes %s", rec, m.Size, m.Checksum)
	}
	got, err := dst.Manifest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sameManifest(t, "replica", got, m)
	if !bytes.Equal(readAll(t, dst, id), data) {
		t.Fatal("replica content differs from the source")
	}
	if _, err := replicate(m); !errors.Is(err, engine.ErrExists) {
		t.Fatalf("Replicate over a ready copy: %v, want ErrExists", err)
	}
}

func contractRestore(t *testing.T, h Harness) {
	ctx := context.Background()
	d, data := h.New(t), Image(8, testBlocks)
	m := ManifestOf(data)

	given := engine.CopyID{Name: "given", UUID: "u-1"}
	rec, err := d.Restore(ctx, given, &Backup{Data: data, Restored: engine.Restored{Checksum: m.Checksum, Manifest: m}}, imagefmt.Limits{}, nil)
	if err != nil {
		t.Fatalf("Restore with a manifest: %v", err)
	}
	if rec.Checksum != m.Checksum || rec.Size != int64(len(data)) || rec.Format != imagefmt.Raw {
		t.Fatalf("Restore record: %+v", rec)
	}
	got, err := d.Manifest(ctx, given)
	if err != nil {
		t.Fatal(err)
	}
	sameManifest(t, "restored with a manifest", got, m)
	if !bytes.Equal(readAll(t, d, given), data) {
		t.Fatal("restored content differs")
	}
	if _, err := d.Verify(ctx, given, engine.VerifyOptions{}); err != nil {
		t.Fatalf("Verify of the restored copy: %v", err)
	}

	hashed := engine.CopyID{Name: "hashed", UUID: "u-2"}
	if _, err := d.Restore(ctx, hashed, &Backup{Data: data, Restored: engine.Restored{Checksum: m.Checksum}}, imagefmt.Limits{}, nil); err != nil {
		t.Fatalf("Restore without a manifest: %v", err)
	}
	if got, err = d.Manifest(ctx, hashed); err != nil {
		t.Fatal(err)
	}
	sameManifest(t, "restored without a manifest", got, m)

	failed := engine.CopyID{Name: "failed", UUID: "u-3"}
	_, err = d.Restore(ctx, failed, &Backup{Data: data, Err: fmt.Errorf("block 2: %w", engine.ErrChecksumMismatch)}, imagefmt.Limits{}, nil)
	if !errors.Is(err, engine.ErrChecksumMismatch) {
		t.Fatalf("a failing restore: %v, want its error", err)
	}
	if err := d.Present(failed); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a failed Restore left a copy: %v", err)
	}
	if _, err := d.Restore(ctx, given, &Backup{Data: data, Restored: engine.Restored{Checksum: m.Checksum, Manifest: m}}, imagefmt.Limits{}, nil); !errors.Is(err, engine.ErrExists) {
		t.Fatalf("Restore over a ready copy: %v, want ErrExists", err)
	}
}
