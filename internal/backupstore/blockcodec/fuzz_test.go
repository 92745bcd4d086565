package blockcodec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

// fuzzCap bounds decoded blocks in the fuzz target (real blocks are 2 MiB;
// a smaller cap keeps iterations fast and still exercises the limit).
const fuzzCap = 64 << 10

// FuzzDecodeBlock checks the block decoder on arbitrary objects and
// declared methods: it never panics and never returns more than cap(dst);
// an object is always recognised as itself (the raw candidate), a wrong
// ID is ErrMismatch; and for every method decode(encode(x)) == x.
func FuzzDecodeBlock(f *testing.F) {
	enc := func(m string, raw []byte) []byte {
		e, err := NewEncoder(m)
		if err != nil {
			f.Fatal(err)
		}
		out, err := e.Encode(raw)
		if err != nil {
			f.Fatal(err)
		}
		return bytes.Clone(out)
	}
	text := []byte("plinth backing image block\n")
	for _, seed := range [][]byte{
		nil, text, make([]byte, 4096), enc("gzip", text), enc("lz4", text), enc("lz4", make([]byte, 8192)),
		{0x1f, 0x8b, 0x08, 0x00}, {0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7},
	} {
		for _, m := range []string{"", "none", "gzip", "lz4", "zstd"} {
			f.Add(seed, m)
		}
	}
	// One decoder, destination and encoder per method for the whole run (a
	// fuzz worker calls the function sequentially): fresh lz4 state per
	// call would dominate the run time.
	d, dst := NewDecoder(), make([]byte, 0, fuzzCap)
	encoders := map[string]*Encoder{}
	for _, m := range []string{format.CompressionNone, format.CompressionGzip, format.CompressionLZ4} {
		e, err := NewEncoder(m)
		if err != nil {
			f.Fatal(err)
		}
		encoders[m] = e
	}
	f.Fuzz(func(t *testing.T, payload []byte, declared string) {
		out, m, err := d.DecodeVerified(dst, payload, format.BlockID(payload), declared)
		switch {
		case len(payload) > fuzzCap:
			if err == nil && len(out) > fuzzCap {
				t.Fatalf("decoded %d bytes, over the cap %d", len(out), fuzzCap)
			}
		case err != nil:
			t.Fatalf("an object is not recognised as itself (declared %q): %v", declared, err)
		case !bytes.Equal(out, payload):
			t.Fatalf("method %s returned other bytes with the same ID", m)
		}
		if _, _, err := d.DecodeVerified(dst, payload, "not-an-id", declared); !errors.Is(err, ErrMismatch) {
			t.Fatalf("wrong ID: %v, want ErrMismatch", err)
		}
		if len(payload) > fuzzCap/2 {
			return // leave room: an encoding may be larger than its input
		}
		for method, e := range encoders {
			encoded, err := e.Encode(payload)
			if err != nil {
				t.Fatalf("encode %s: %v", method, err)
			}
			got, _, err := d.DecodeVerified(dst, encoded, format.BlockID(payload), method)
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("decode(encode(x)) != x for %s: %v", method, err)
			}
		}
	})
}
