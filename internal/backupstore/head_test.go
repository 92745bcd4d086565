package backupstore

import (
	"bytes"
	"context"
	"testing"

	"github.com/plinth-storage/plinth/internal/target/mem"
)

func TestHeadReadsTheVerifiedStartOfAnImage(t *testing.T) {
	ctx := context.Background()
	st := New(mem.New(), testOptions())
	img := make([]byte, 3<<20)
	copy(img, []byte("QFI\xfbheader"))
	if _, err := st.Backup(ctx, BackupRequest{Name: "qq", Source: &BytesSource{Data: img}}, nil); err != nil {
		t.Fatal(err)
	}
	head, err := st.Head(ctx, "qq", 512)
	if err != nil || !bytes.Equal(head, img[:512]) {
		t.Fatalf("Head = %q, %v", head[:10], err)
	}
	holey := make([]byte, 5<<20)
	holey[4<<20] = 1
	if _, err := st.Backup(ctx, BackupRequest{Name: "hh", Source: &BytesSource{Data: holey}}, nil); err != nil {
		t.Fatal(err)
	}
	if head, err := st.Head(ctx, "hh", 16); err != nil || !bytes.Equal(head, make([]byte, 16)) {
		t.Fatalf("Head of an image starting with a hole = %v, %v", head, err)
	}
	if _, err := st.Head(ctx, "missing", 16); err == nil {
		t.Fatal("Head of a missing backup succeeded")
	}
}
