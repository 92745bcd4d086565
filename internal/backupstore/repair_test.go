package backupstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target/file"
)

// fileStore returns a Store on a file target in a temporary folder, the
// folder, and the record of bad blocks it shares with other Stores.
func fileStore(t *testing.T) (*Store, string, *MemBadBlocks) {
	t.Helper()
	root := t.TempDir()
	rec := &MemBadBlocks{}
	opts := testOptions()
	opts.BadBlocks = rec
	return New(file.New(root), opts), root, rec
}

// damageBlockFile flips one byte in the middle of a block's file on disk.
func damageBlockFile(t *testing.T, root, id string) []byte {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(format.BlockKey(id)))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x5a
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data
}

func verifyOf(t *testing.T, st *Store, name string) VerifyReport {
	t.Helper()
	rep, err := st.Verify(context.Background(), name, VerifyOptions{})
	if err != nil {
		t.Fatalf("verify %s: %v", name, err)
	}
	return rep
}

// The finding: after one block on the store was damaged and verify found
// it, a new backup of the same content must not reuse the damaged block.
func TestBackupReuploadsBlockVerifyFoundBad(t *testing.T) {
	st, root, rec := fileStore(t)
	img := randomBytes(40, 6*mib+321)
	res := backupBytes(t, st, "first", img, nil, "lz4")
	bad := res.Config.Blocks[1].BlockChecksum
	damageBlockFile(t, root, bad)
	if rep := verifyOf(t, st, "first"); rep.OK() || len(rep.Corrupt) != 1 || rep.Corrupt[0].Key != format.BlockKey(bad) {
		t.Fatalf("verify of the damaged backup: %+v", rep)
	}
	if ids, _ := rec.Load(context.Background()); len(ids) != 1 || ids[0] != bad {
		t.Fatalf("remembered bad blocks %v, want [%s]", ids, bad)
	}
	// A second Store on the same target and record, as after a restart.
	opts := testOptions()
	opts.BadBlocks = rec
	st2 := New(file.New(root), opts)
	second := backupBytes(t, st2, "second", img, nil, "lz4")
	if second.Stats.Uploaded != 1 {
		t.Fatalf("second backup uploaded %d blocks, want 1 (the damaged one): %+v", second.Stats.Uploaded, second.Stats)
	}
	got, _ := restoreBytes(t, st2, "second")
	assertSameImage(t, got, img)
	for _, name := range []string{"first", "second"} {
		if rep := verifyOf(t, st2, name); !rep.OK() {
			t.Fatalf("verify %s after the re-upload: %+v", name, rep)
		}
	}
	if ids, _ := rec.Load(context.Background()); len(ids) != 0 {
		t.Fatalf("blocks still remembered bad after the re-upload: %v", ids)
	}
}

func TestRepairRewritesFromLocalCopy(t *testing.T) {
	ctx := context.Background()
	st, root, rec := fileStore(t)
	img := randomBytes(41, 7*mib)
	res := backupBytes(t, st, "img", img, nil, "gzip")
	corrupt, missing := res.Config.Blocks[0], res.Config.Blocks[3]
	damageBlockFile(t, root, corrupt.BlockChecksum)
	if err := os.Remove(filepath.Join(root, filepath.FromSlash(format.BlockKey(missing.BlockChecksum)))); err != nil {
		t.Fatal(err)
	}
	rep, err := st.Repair(ctx, "img", &BytesSource{Data: img}, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Repaired) != 2 || len(rep.Unrepaired) != 0 || rep.Checksum != res.Config.Checksum {
		t.Fatalf("repair report %+v", rep)
	}
	got, _ := restoreBytes(t, st, "img")
	assertSameImage(t, got, img)
	if ids, _ := rec.Load(ctx); len(ids) != 0 {
		t.Fatalf("blocks still remembered bad after the repair: %v", ids)
	}
	// The rewritten block is compressed as the backup says.
	payload, err := st.Target().Get(ctx, format.BlockKey(missing.BlockChecksum))
	if err != nil || !bytes.HasPrefix(payload, []byte{0x1f, 0x8b}) {
		t.Fatalf("repaired block is not gzip: % x..., %v", payload[:min(4, len(payload))], err)
	}
}

func TestRepairRefusesDifferentBytes(t *testing.T) {
	ctx := context.Background()
	st, root, rec := fileStore(t)
	img := randomBytes(42, 5*mib)
	res := backupBytes(t, st, "img", img, nil, "lz4")
	bad := res.Config.Blocks[1]
	damaged := damageBlockFile(t, root, bad.BlockChecksum)
	other := bytes.Clone(img)
	other[bad.Offset+10] ^= 1
	rep, err := st.Repair(ctx, "img", &BytesSource{Data: other}, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || len(rep.Repaired) != 0 || len(rep.Unrepaired) != 1 || !strings.Contains(rep.Unrepaired[0].Reason, "content differs") {
		t.Fatalf("repair from other bytes: %+v", rep)
	}
	if now, _ := st.Target().Get(ctx, format.BlockKey(bad.BlockChecksum)); !bytes.Equal(now, damaged) {
		t.Fatal("repair from other bytes rewrote the block")
	}
	if ids, _ := rec.Load(ctx); len(ids) != 1 || ids[0] != bad.BlockChecksum {
		t.Fatalf("remembered bad blocks %v, want [%s]", ids, bad.BlockChecksum)
	}
	rep, err = st.Repair(ctx, "img", &BytesSource{Data: img[:4*mib]}, VerifyOptions{})
	if err != nil || len(rep.Unrepaired) != 1 || !strings.Contains(rep.Unrepaired[0].Reason, "not the same image") {
		t.Fatalf("repair from a shorter copy: %+v, %v", rep, err)
	}
}
