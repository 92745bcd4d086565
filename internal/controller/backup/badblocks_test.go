package backup

import (
	"context"
	"slices"
	"testing"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

func TestBadBlocksRecordInEtcd(t *testing.T) {
	ctx := context.Background()
	kind := store.NewKind[model.BadBlocks](store.NewTestBackend(t).Client, model.KindBadBlocks)
	bb := &BadBlocks{Kind: kind}
	rec, other := bb.ForTarget("t1"), bb.ForTarget("t2")
	if ids, err := rec.Load(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("load of a target without a record: %v %v", ids, err)
	}
	if err := rec.Update(ctx, nil, []string{"aa"}); err != nil {
		t.Fatal(err)
	}
	if _, err := kind.Get(ctx, "t1"); err == nil {
		t.Fatal("an update that changes nothing created a record")
	}
	if err := rec.Update(ctx, []string{"cc", "aa", "bb"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := rec.Update(ctx, []string{"dd"}, []string{"aa", "dd"}); err != nil {
		t.Fatal(err)
	}
	if ids, err := rec.Load(ctx); err != nil || !slices.Equal(ids, []string{"bb", "cc"}) {
		t.Fatalf("ids %v %v, want [bb cc]", ids, err)
	}
	// A second view (as after a restart) reads the same record.
	if ids, _ := (&BadBlocks{Kind: kind}).ForTarget("t1").Load(ctx); !slices.Equal(ids, []string{"bb", "cc"}) {
		t.Fatalf("a new view reads %v", ids)
	}
	if ids, _ := other.Load(ctx); len(ids) != 0 {
		t.Fatalf("records are per target; t2 has %v", ids)
	}
}
