package backupstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
)

func TestReadBlock(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ctx := context.Background()
		st := New(tgt, testOptions())
		img, ext := repeatedImage("AB0_A", 5000)
		backupBytes(t, st, "img", img, ext, "gzip")
		for _, off := range []int64{0, format.BlockSize, 4 * format.BlockSize, 5 * format.BlockSize} {
			got, err := st.ReadBlock(ctx, "img", off)
			if err != nil {
				t.Fatalf("offset %d: %v", off, err)
			}
			if want := img[off:min(off+format.BlockSize, int64(len(img)))]; !bytes.Equal(got, want) {
				t.Fatalf("offset %d: %d bytes differ from the image's %d", off, len(got), len(want))
			}
		}
		for _, off := range []int64{2 * format.BlockSize, 3 * format.BlockSize} {
			if _, err := st.ReadBlock(ctx, "img", off); !errors.Is(err, ErrNoBlock) || !strings.Contains(err.Error(), "zero block") {
				t.Fatalf("offset %d (zeros): %v", off, err)
			}
		}
		for _, off := range []int64{4096, -format.BlockSize, 6 * format.BlockSize} {
			if _, err := st.ReadBlock(ctx, "img", off); err == nil || errors.Is(err, ErrNoBlock) {
				t.Fatalf("offset %d (not a block): %v", off, err)
			}
		}
		if _, err := st.ReadBlock(ctx, "nosuch", 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing backup: %v", err)
		}
		key := format.BlockKey(format.BlockID(img[format.BlockSize : 2*format.BlockSize]))
		payload, err := tgt.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		payload[len(payload)-20] ^= 1
		if err := tgt.Put(ctx, key, payload); err != nil {
			t.Fatal(err)
		}
		var be *BlockError
		if _, err := st.ReadBlock(ctx, "img", format.BlockSize); !errors.As(err, &be) || be.Key != key {
			t.Fatalf("corrupt block: %v", err)
		}
	})
}
