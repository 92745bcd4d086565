package blockcodec

import (
	"bytes"
	stdgzip "compress/gzip"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

func sampleBlocks() map[string][]byte {
	random := make([]byte, format.BlockSize)
	_, _ = rand.Read(random)
	text := bytes.Repeat([]byte("plinth backing image "), format.BlockSize/21)
	return map[string][]byte{"random": random, "zero": make([]byte, format.BlockSize), "text": text, "tail": random[:4096]}
}

func TestRoundTripEveryMethod(t *testing.T) {
	dec := NewDecoder()
	for _, method := range []string{"none", "gzip", "lz4"} {
		enc, err := NewEncoder(method)
		if err != nil {
			t.Fatal(err)
		}
		for name, raw := range sampleBlocks() {
			payload, err := enc.Encode(raw)
			if err != nil {
				t.Fatalf("%s/%s: %v", method, name, err)
			}
			if got := Sniff(payload); method != "none" && got != method {
				t.Errorf("%s/%s: sniffed %s", method, name, got)
			}
			// Declaring the wrong method must not matter: decoding sniffs.
			out, used, err := dec.DecodeVerified(make([]byte, 0, format.BlockSize), payload, format.BlockID(raw), "gzip")
			if err != nil || used != method || !bytes.Equal(out, raw) {
				t.Fatalf("%s/%s: decoded with %s, equal=%v, err=%v", method, name, used, bytes.Equal(out, raw), err)
			}
		}
	}
}

func TestHeadersAreStandard(t *testing.T) {
	raw := sampleBlocks()["text"]
	gz, _ := NewEncoder("gzip")
	payload, _ := gz.Encode(raw)
	if !bytes.HasPrefix(payload, []byte{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0}) {
		t.Fatalf("gzip header % x, want 1f 8b 08 00 00 00 00 00", payload[:8])
	}
	r, err := stdgzip.NewReader(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := io.ReadAll(r); err != nil || !bytes.Equal(out, raw) {
		t.Fatalf("stdlib gzip could not read our stream: %v", err)
	}
	l4, _ := NewEncoder("lz4")
	payload, _ = l4.Encode(raw)
	if !bytes.HasPrefix(payload, []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x70}) {
		t.Fatalf("lz4 header % x, want 04 22 4d 18 64 70 (frame, 4 MiB blocks, content checksum)", payload[:6])
	}
	if out, err := io.ReadAll(lz4.NewReader(bytes.NewReader(payload))); err != nil || !bytes.Equal(out, raw) {
		t.Fatalf("a fresh lz4 reader could not read our frame: %v", err)
	}
}

func TestRawBlockThatLooksCompressed(t *testing.T) {
	raw := append([]byte{0x1f, 0x8b, 0x08}, bytes.Repeat([]byte{7}, 1000)...)
	out, used, err := NewDecoder().DecodeVerified(make([]byte, 0, format.BlockSize), raw, format.BlockID(raw), "lz4")
	if err != nil || used != "none" || !bytes.Equal(out, raw) {
		t.Fatalf("used %s, err %v", used, err)
	}
}

func TestCorruptAndOversize(t *testing.T) {
	raw := sampleBlocks()["text"]
	enc, _ := NewEncoder("lz4")
	payload, _ := enc.Encode(raw)
	bad := bytes.Clone(payload)
	bad[len(bad)/2] ^= 0xff
	dec := NewDecoder()
	if _, _, err := dec.DecodeVerified(make([]byte, 0, format.BlockSize), bad, format.BlockID(raw), "lz4"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("corrupt payload: %v, want ErrMismatch", err)
	}
	if _, _, err := dec.DecodeVerified(make([]byte, 0, 1024), payload, format.BlockID(raw), "lz4"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("oversize block: %v, want ErrMismatch", err)
	}
	if _, err := ParseMethod("zstd"); err == nil {
		t.Fatal("ParseMethod accepted zstd")
	}
	if m, _ := ParseMethod(""); m != "gzip" {
		t.Fatalf(`ParseMethod("") = %s, want the legacy gzip`, m)
	}
}
