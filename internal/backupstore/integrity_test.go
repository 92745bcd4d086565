package backupstore

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

func TestCorruptAndMissingBlocks(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	st := New(tgt, testOptions())
	img := randomBytes(20, 8*mib)
	res := backupBytes(t, st, "img", img, nil, "lz4")
	bad := res.Config.Blocks[2]
	badKey := format.BlockKey(bad.BlockChecksum)
	payload, _ := tgt.Get(ctx, badKey)
	payload[len(payload)/2] ^= 0x55
	if err := tgt.Put(ctx, badKey, payload); err != nil {
		t.Fatal(err)
	}
	_, err := st.Restore(ctx, "img", &BytesSink{}, RestoreOptions{}, nil)
	var be *BlockError
	if !errors.As(err, &be) || be.Key != badKey || be.Offset != bad.Offset {
		t.Fatalf("restore of a corrupt block: %v, want a BlockError naming %s at %d", err, badKey, bad.Offset)
	}
	rep, err := st.Verify(ctx, "img", VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || len(rep.Corrupt) != 1 || rep.Corrupt[0].Key != badKey || rep.Corrupt[0].Offset != bad.Offset || rep.ChecksumOK {
		t.Fatalf("verify report %+v", rep)
	}
	missing := res.Config.Blocks[0]
	if err := tgt.Delete(ctx, format.BlockKey(missing.BlockChecksum)); err != nil {
		t.Fatal(err)
	}
	rep, err = st.Verify(ctx, "img", VerifyOptions{})
	if err != nil || len(rep.Missing) != 1 || rep.Missing[0].Offset != 0 || len(rep.Corrupt) != 1 || rep.Blocks != 2 {
		t.Fatalf("verify report %+v, %v", rep, err)
	}
	keys := len(tgt.Keys())
	good := backupBytes(t, st, "good", randomBytes(21, 3*mib), nil, "gzip")
	if rep, err := st.Verify(ctx, "good", VerifyOptions{}); err != nil || !rep.OK() || rep.Checksum != good.Config.Checksum {
		t.Fatalf("verify of an intact backup: %+v %v", rep, err)
	}
	if len(tgt.Keys()) != keys+3 { // cfg + 2 blocks of "good"; Verify wrote nothing
		t.Fatalf("keys %d, want %d", len(tgt.Keys()), keys+3)
	}
}

// A restore adopts a SHA-512 cfg Checksum once every block verified (no
// whole-image pass); a cfg whose Checksum lies is caught by Verify, which
// hashes the image.
func TestRestoreAdoptsTheCfgChecksumVerifyHashesTheImage(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	st := New(tgt, testOptions())
	img := randomBytes(22, 3*mib)
	res := backupBytes(t, st, "img", img, nil, "lz4")
	cfg := res.Config
	cfg.Checksum = hex.EncodeToString(make([]byte, 64)) // a SHA-512 of other bytes
	data, _ := cfg.Encode()
	if err := tgt.Put(ctx, format.ConfigKey("img"), data); err != nil {
		t.Fatal(err)
	}
	got, rres := restoreBytes(t, st, "img")
	assertSameImage(t, got, img)
	if rres.Checksum != cfg.Checksum || !rres.ChecksumVerified || rres.FullPass {
		t.Fatalf("restore result %+v: want the cfg's checksum adopted without a full pass", rres)
	}
	rep, err := st.Verify(ctx, "img", VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ChecksumOK || !strings.Contains(rep.ChecksumProblem, "differs from the cfg's") {
		t.Fatalf("verify of a cfg whose checksum lies: %+v", rep)
	}
}

// encodeLike produces a block payload the way Longhorn's writers do.
func encodeLike(t *testing.T, method string, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch method {
	case "gzip":
		w := stdgzip.NewWriter(&buf)
		_, _ = w.Write(raw)
		_ = w.Close()
	case "lz4":
		w := lz4.NewWriter(&buf)
		_, _ = w.Write(raw)
		_ = w.Close()
	default:
		buf.Write(raw)
	}
	return buf.Bytes()
}

func TestReadsAHandMadeLonghornStore(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	size := 4*format.BlockSize + 4096
	img := make([]byte, size)
	copy(img, randomBytes(30, format.BlockSize))
	copy(img[format.BlockSize:], bytes.Repeat([]byte("lh"), format.BlockSize/2))
	// block 2 is a hole; block 3 is an allocated zero block Longhorn stores.
	raw4 := append([]byte{0x1f, 0x8b}, randomBytes(31, 4094)...) // raw tail that looks like gzip
	copy(img[4*format.BlockSize:], raw4)
	blocks := []struct {
		off    int
		method string
	}{{0, "lz4"}, {format.BlockSize, "gzip"}, {3 * format.BlockSize, "none"}, {4 * format.BlockSize, "none"}}
	var list string
	for i, b := range blocks {
		raw := img[b.off:min(b.off+format.BlockSize, size)]
		id := format.BlockID(raw)
		if err := tgt.Put(ctx, format.BlockKey(id), encodeLike(t, b.method, raw)); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			list += ","
		}
		list += fmt.Sprintf(`{"Offset":%d,"BlockChecksum":"%s"}`, b.off, id)
	}
	sum := sha512.Sum512(img)
	for name, checksum := range map[string]string{"lh-sha": hex.EncodeToString(sum[:]), "lh-opaque": "deadbeef"} {
		// Empty CompressionMethod (legacy gzip) although blocks are mixed.
		cfg := fmt.Sprintf(`{"Name":%q,"Size":"%d","BlockCount":"4","Checksum":%q,"Labels":null,"CompressionMethod":"",`+
			`"CreatedTime":"2024-01-01T00:00:00Z","CompleteTime":"2024-01-01T00:00:09Z","Secret":"","SecretNamespace":"",`+
			`"ProcessingBlocks":{"Blocks":{}},"Blocks":[%s]}`, name, size, checksum, list)
		if err := tgt.Put(ctx, format.ConfigKey(name), []byte(cfg)); err != nil {
			t.Fatal(err)
		}
		got, res := restoreBytes(t, New(tgt, testOptions()), name)
		assertSameImage(t, got, img)
		if res.ChecksumVerified != (name == "lh-sha") {
			t.Fatalf("%s: ChecksumVerified = %v", name, res.ChecksumVerified)
		}
	}
	sums, err := New(tgt, testOptions()).List(ctx)
	if err != nil || len(sums) != 2 || sums[0].CompressionMethod != "gzip" || sums[0].Size != int64(size) || sums[0].InProgress {
		t.Fatalf("list of the hand-made store: %+v %v", sums, err)
	}
}
