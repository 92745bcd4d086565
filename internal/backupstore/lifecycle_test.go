package backupstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

func rawConfig(t *testing.T, tgt target.Target, name string) map[string]any {
	t.Helper()
	data, err := tgt.Get(context.Background(), format.ConfigKey(name))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("\n")) {
		t.Fatal("cfg is not one line of compact JSON")
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWrittenObjectsMatchTheFormat(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	st := New(tgt, testOptions())
	img := append(randomBytes(40, 2*mib), bytes.Repeat([]byte("abc"), 1000)...)
	res, err := st.Backup(ctx, BackupRequest{Name: "bi-fmt", Source: &BytesSource{Data: img}, Compression: "lz4",
		Labels: map[string]string{"k": "v"}, Secret: "s1", SecretNamespace: "ns1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := rawConfig(t, tgt, "bi-fmt")
	timeRE := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	checks := map[string]bool{
		"Size is a string":          m["Size"] == "2100152",
		"BlockCount is a string":    m["BlockCount"] == "2",
		"Checksum is SHA-512 hex":   m["Checksum"] == res.Config.Checksum && len(res.Config.Checksum) == 128,
		"CompressionMethod":         m["CompressionMethod"] == "lz4",
		"CreatedTime format":        timeRE.MatchString(m["CreatedTime"].(string)),
		"CompleteTime format":       timeRE.MatchString(m["CompleteTime"].(string)),
		"Labels":                    m["Labels"].(map[string]any)["k"] == "v",
		"Secret":                    m["Secret"] == "s1" && m["SecretNamespace"] == "ns1",
		"ProcessingBlocks":          m["ProcessingBlocks"] != nil,
		"Offset is a number":        m["Blocks"].([]any)[1].(map[string]any)["Offset"] == float64(format.BlockSize),
		"BlockChecksum is the ID":   m["Blocks"].([]any)[0].(map[string]any)["BlockChecksum"] == format.BlockID(img[:format.BlockSize]),
		"Name":                      m["Name"] == "bi-fmt",
		"no fields beyond the spec": len(m) == 12,
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("%s: cfg %v", what, m)
		}
	}
	for _, b := range res.Config.Blocks {
		payload, err := tgt.Get(ctx, "backupstore/backing-images/blocks/"+b.BlockChecksum[:2]+"/"+b.BlockChecksum[2:4]+"/"+b.BlockChecksum+".blk")
		if err != nil {
			t.Fatal(err)
		}
		if blockcodec.Sniff(payload) != "lz4" {
			t.Errorf("block at %d is not an lz4 frame", b.Offset)
		}
	}
}

func TestFailedBackupLeavesPlaceholderThatIsResumed(t *testing.T) {
	ctx := context.Background()
	ft := faulty.Wrap(mem.New())
	st := New(ft, testOptions())
	img := randomBytes(41, 6*mib)
	ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: format.BlocksDir, Times: 1, Kind: target.KindPermanent})
	_, err := st.Backup(ctx, BackupRequest{Name: "bi-r", Source: &BytesSource{Data: img}}, nil)
	var be *BlockError
	if !errors.As(err, &be) {
		t.Fatalf("backup with a failing upload: %v, want a BlockError", err)
	}
	m := rawConfig(t, ft, "bi-r")
	if m["CompleteTime"] != "" || m["BlockCount"] != "0" || m["ProcessingBlocks"] != nil || m["Blocks"] != nil {
		t.Fatalf("placeholder %v", m)
	}
	sums, err := st.List(ctx)
	if err != nil || len(sums) != 1 || !sums[0].InProgress {
		t.Fatalf("list shows %+v %v, want one in-progress backup", sums, err)
	}
	if _, err := st.Restore(ctx, "bi-r", &BytesSink{}, RestoreOptions{}, nil); !errors.Is(err, ErrInProgress) {
		t.Fatalf("restore of a placeholder: %v, want ErrInProgress", err)
	}
	res, err := st.Backup(ctx, BackupRequest{Name: "bi-r", Source: &BytesSource{Data: img}}, nil)
	if err != nil || !res.Resumed || res.Adopted {
		t.Fatalf("resume: %+v %v", res, err)
	}
	got, _ := restoreBytes(t, st, "bi-r")
	assertSameImage(t, got, img)
}

func TestAdoptSameChecksumConflictOtherwise(t *testing.T) {
	ctx := context.Background()
	ft := faulty.Wrap(mem.New())
	st := New(ft, testOptions())
	img := randomBytes(42, 5*mib)
	first := backupBytes(t, st, "bi-a", img, nil, "lz4")
	cfgBefore, _ := ft.Get(ctx, format.ConfigKey("bi-a"))
	puts := countPuts(ft, "backupstore/backing-images/")
	res := backupBytes(t, st, "bi-a", img, nil, "gzip")
	if !res.Adopted || res.Config.Checksum != first.Config.Checksum || puts.Load() != 0 {
		t.Fatalf("same content: adopted=%v, %d puts", res.Adopted, puts.Load())
	}
	// With the checksum given, the source is not even read.
	res, err := st.Backup(ctx, BackupRequest{Name: "bi-a", Source: &BytesSource{}, Checksum: first.Config.Checksum}, nil)
	if err != nil || !res.Adopted {
		t.Fatalf("adopt by checksum: %+v %v", res, err)
	}
	other := randomBytes(43, 5*mib)
	_, err = st.Backup(ctx, BackupRequest{Name: "bi-a", Source: &BytesSource{Data: other}}, nil)
	var ce *ChecksumConflictError
	if !errors.Is(err, ErrChecksumConflict) || !errors.As(err, &ce) || ce.Existing != first.Config.Checksum || ce.New == "" || ce.New == ce.Existing {
		t.Fatalf("different content: %v", err)
	}
	if puts.Load() != 0 {
		t.Fatal("a conflicting backup wrote something")
	}
	cfgAfter, _ := ft.Get(ctx, format.ConfigKey("bi-a"))
	if !bytes.Equal(cfgBefore, cfgAfter) {
		t.Fatal("the existing cfg changed")
	}
}

func TestTransientErrorNeverReplacesACompleteCfg(t *testing.T) {
	ctx := context.Background()
	ft := faulty.Wrap(mem.New())
	st := New(ft, testOptions())
	img := randomBytes(44, 3*mib)
	backupBytes(t, st, "bi-t", img, nil, "lz4")
	before, _ := ft.Get(ctx, format.ConfigKey("bi-t"))
	ft.Add(faulty.Rule{Ops: []string{target.OpGet}, Prefix: format.ConfigKey("bi-t"), Kind: target.KindTransient})
	if _, err := st.Backup(ctx, BackupRequest{Name: "bi-t", Source: &BytesSource{Data: randomBytes(45, 3*mib)}}, nil); err == nil {
		t.Fatal("backup went ahead although the existing cfg could not be read")
	}
	ft.Reset()
	after, _ := ft.Get(ctx, format.ConfigKey("bi-t"))
	if !bytes.Equal(before, after) {
		t.Fatal("a transient read error let the complete cfg be overwritten")
	}
}

func TestSourceChangedIsNotCommitted(t *testing.T) {
	ctx := context.Background()
	st := New(mem.New(), testOptions())
	_, err := st.Backup(ctx, BackupRequest{Name: "bi-c", Source: &BytesSource{Data: randomBytes(46, mib)}, Checksum: "00"}, nil)
	if !errors.Is(err, ErrSourceChanged) {
		t.Fatalf("backup = %v, want ErrSourceChanged", err)
	}
	if cfg, err := st.Inspect(ctx, "bi-c"); err != nil || !cfg.InProgress() {
		t.Fatalf("cfg after a mismatched source: %+v %v, want the placeholder", cfg, err)
	}
}

func TestLockConflictsBetweenBackupAndDelete(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	opts := testOptions()
	opts.LockTimeout = 100 * time.Millisecond
	st := New(tgt, opts)
	img := randomBytes(47, 2*mib)
	locker := lock.New(tgt, format.LockDir, opts.Lock)
	del, err := locker.TryAcquire(ctx, lock.Delete)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Backup(ctx, BackupRequest{Name: "bi-l", Source: &BytesSource{Data: img}}, nil); !errors.Is(err, lock.ErrConflict) {
		t.Fatalf("backup during a delete: %v, want lock.ErrConflict", err)
	}
	_ = del.Release(ctx)
	backupBytes(t, st, "bi-l", img, nil, "lz4")
	bk, err := locker.TryAcquire(ctx, lock.Backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Delete(ctx, "bi-l"); !errors.Is(err, lock.ErrConflict) {
		t.Fatalf("delete during a backup: %v, want lock.ErrConflict", err)
	}
	if _, err := st.Inspect(ctx, "bi-l"); err != nil {
		t.Fatalf("the blocked delete removed the backup: %v", err)
	}
	// A restore shares the lock type with backups and runs.
	restoreBytes(t, st, "bi-l")
	// With a longer timeout the delete waits, and reports the wait.
	st.opts.LockTimeout = 10 * time.Second
	time.AfterFunc(200*time.Millisecond, func() { _ = bk.Release(context.Background()) })
	res, err := st.Delete(ctx, "bi-l")
	if err != nil || res.LockWait < 150*time.Millisecond || res.Removed != 1 {
		t.Fatalf("waiting delete: %+v %v", res, err)
	}
}

func TestCancelStopsBackupAndRestore(t *testing.T) {
	st := New(mem.New(), testOptions())
	img := randomBytes(48, 24*mib)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := st.Backup(ctx, BackupRequest{Name: "bi-x", Source: &BytesSource{Data: img}}, func(p Progress) {
		if p.Percent >= 20 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled backup: %v", err)
	}
	if cfg, err := st.Inspect(context.Background(), "bi-x"); err != nil || !cfg.InProgress() {
		t.Fatalf("a cancelled backup must leave only its placeholder: %+v %v", cfg, err)
	}
	backupBytes(t, st, "bi-x", img, nil, "lz4")
	ctx, cancel = context.WithCancel(context.Background())
	sink := &BytesSink{}
	_, err = st.Restore(ctx, "bi-x", sink, RestoreOptions{}, func(p Progress) {
		if p.Percent >= 20 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled restore: %v", err)
	}
	if _, synced := sink.Bytes(); synced {
		t.Fatal("a cancelled restore synced its sink")
	}
}
