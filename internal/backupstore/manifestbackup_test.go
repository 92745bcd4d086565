package backupstore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

func backupManifest(t *testing.T, st *Store, name string, src Source, m *engine.Manifest) BackupResult {
	t.Helper()
	res, err := st.Backup(context.Background(), BackupRequest{Name: name, Source: src, Manifest: m}, nil)
	if err != nil {
		t.Fatalf("backup %s: %v", name, err)
	}
	return res
}

func TestManifestBackupReadsOnlyMissingBlocks(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ft := faulty.Wrap(tgt)
		puts := countPuts(ft, format.BlocksDir+"/")
		st := New(ft, testOptions())
		// A, B, C distinct; A repeated; a zero block; a hole; a partial tail.
		img, ext := repeatedImage("AB0A_CA", 4096+17)
		src := &countingSource{Source: &BytesSource{Data: img, Extents: ext}}
		m := manifestOf(t, img)

		res := backupManifest(t, st, "cold", src, m)
		// Read: A, B, C and the tail, once each.
		if src.reads.Load() != 4 || res.Stats.DataBlocks != 4 || res.Stats.Uploaded != 4 || puts.Load() != 4 ||
			res.Stats.Deduplicated != 2 || res.Stats.ZeroBlocks != 2 || res.Stats.BytesRead != src.bytes.Load() ||
			res.Stats.BytesRead != 3*format.BlockSize+4096+17 {
			t.Fatalf("cold: %d reads, %d puts, stats %+v", src.reads.Load(), puts.Load(), res.Stats)
		}
		// The cfg is exactly what the streaming backup writes.
		plain := backupBytes(t, New(mem.New(), testOptions()), "plain", img, ext, "lz4")
		if res.Config.Checksum != plain.Config.Checksum || len(res.Config.Blocks) != len(plain.Config.Blocks) {
			t.Fatalf("manifest cfg %+v differs from the streaming one %+v", res.Config, plain.Config)
		}
		for i, b := range res.Config.Blocks {
			if b != plain.Config.Blocks[i] {
				t.Fatalf("block %d: %+v, streaming backup has %+v", i, b, plain.Config.Blocks[i])
			}
		}

		// Every block stored: nothing is read, hashed or uploaded.
		src.reads.Store(0)
		puts.Store(0)
		res = backupManifest(t, st, "again", src, m)
		if src.reads.Load() != 0 || puts.Load() != 0 || res.Stats.BytesRead != 0 || res.Stats.Uploaded != 0 || res.Stats.Deduplicated != 6 {
			t.Fatalf("all stored: %d reads, %d puts, stats %+v", src.reads.Load(), puts.Load(), res.Stats)
		}

		// One changed block: only it is read and uploaded.
		changed := append([]byte(nil), img...)
		copy(changed[format.BlockSize:], randomBytes(500, format.BlockSize))
		csrc := &countingSource{Source: &BytesSource{Data: changed, Extents: ext}}
		puts.Store(0)
		res = backupManifest(t, st, "changed", csrc, manifestOf(t, changed))
		if csrc.reads.Load() != 1 || puts.Load() != 1 || res.Stats.Uploaded != 1 || res.Stats.BytesRead != format.BlockSize {
			t.Fatalf("one changed block: %d reads, %d puts, stats %+v", csrc.reads.Load(), puts.Load(), res.Stats)
		}
		for name, want := range map[string][]byte{"cold": img, "again": img, "changed": changed} {
			got, rres := restoreBytes(t, st, name)
			assertSameImage(t, got, want)
			if !rres.ChecksumVerified {
				t.Fatalf("%s: checksum not verified", name)
			}
		}
	})
}

func TestManifestBackupOfDamagedSourceFailsNamingTheBlock(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ctx := context.Background()
		st := New(tgt, testOptions())
		img, ext := repeatedImage("ABCD", 0)
		m := manifestOf(t, img)
		rotten := append([]byte(nil), img...)
		rotten[2*format.BlockSize+12345] ^= 0x08 // block 2 rots after its manifest was made
		_, err := st.Backup(ctx, BackupRequest{Name: "rot", Source: &BytesSource{Data: rotten, Extents: ext}, Manifest: m}, nil)
		var de *SourceDamagedError
		if !errors.As(err, &de) || !errors.Is(err, engine.ErrDamaged) || len(de.Offsets) != 1 || de.Offsets[0] != 2*format.BlockSize {
			t.Fatalf("backup of a damaged source: %v", err)
		}
		if !strings.Contains(err.Error(), "block 2 (offset 4194304)") {
			t.Fatalf("the error does not name the block: %v", err)
		}
		// Neither the manifest's block nor the rotten bytes reached the pool.
		for _, id := range []string{m.Blocks[2].String(), format.BlockID(rotten[2*format.BlockSize : 3*format.BlockSize])} {
			if _, err := tgt.Stat(ctx, format.BlockKey(id)); !target.IsNotFound(err) {
				t.Fatalf("block %s of the damaged range is in the pool: %v", id, err)
			}
		}
		if _, err := st.Restore(ctx, "rot", &BytesSink{}, RestoreOptions{}, nil); !errors.Is(err, ErrInProgress) {
			t.Fatalf("the failed backup was committed: restore = %v", err)
		}
	})
}

func TestManifestBackupRefusesAManifestOfOtherContent(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	st := New(tgt, testOptions())
	img, _ := repeatedImage("AB", 0)
	m := manifestOf(t, img)
	short := &BytesSource{Data: img[:format.BlockSize]}
	if _, err := st.Backup(ctx, BackupRequest{Name: "short", Source: short, Manifest: m}, nil); err == nil || !strings.Contains(err.Error(), "manifest describes") {
		t.Fatalf("a manifest of another size: %v", err)
	}
	other := strings.Repeat("0", 128)
	_, err := st.Backup(ctx, BackupRequest{Name: "sum", Source: &BytesSource{Data: img}, Manifest: m, Checksum: other}, nil)
	if !errors.Is(err, ErrSourceChanged) {
		t.Fatalf("a manifest contradicting the expected checksum: %v", err)
	}
	if keys := tgt.Keys(); len(keys) != 0 {
		t.Fatalf("refused backups wrote %v", keys)
	}
	// Adoption compares the manifest's checksum and reads nothing.
	backupManifest(t, st, "img", &BytesSource{Data: img}, m)
	src := &countingSource{Source: &BytesSource{Data: img}}
	res := backupManifest(t, st, "img", src, m)
	if !res.Adopted || src.reads.Load() != 0 {
		t.Fatalf("adopt: %+v after %d reads", res, src.reads.Load())
	}
	m2 := manifestOf(t, append(randomBytes(3, 10), img[10:]...))
	_, err = st.Backup(ctx, BackupRequest{Name: "img", Source: &BytesSource{Data: img}, Manifest: m2}, nil)
	if !errors.Is(err, ErrChecksumConflict) {
		t.Fatalf("a complete backup of other content: %v", err)
	}
}
