package backupstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

func TestListAndListChanged(t *testing.T) {
	ctx := context.Background()
	var tick time.Duration
	clock := func() time.Time { tick += time.Second; return time.Unix(1_700_000_000, 0).Add(tick) }
	ft := faulty.Wrap(mem.New(mem.WithClock(clock)))
	st := New(ft, testOptions())
	for i := range 5 {
		backupBytes(t, st, fmt.Sprintf("bi-%d", i), randomBytes(uint64(60+i), mib), nil, "lz4")
	}
	// A stray object and a cfg that does not parse.
	_ = ft.Put(ctx, format.ConfigsDir+"/bi-0/notes.txt", []byte("x"))
	_ = ft.Put(ctx, format.ConfigKey("bi-bad"), []byte("{"))
	sums, err := st.List(ctx)
	if err != nil || len(sums) != 6 {
		t.Fatalf("list: %d, %v", len(sums), err)
	}
	seen := make(map[string]Stamp)
	for _, s := range sums {
		seen[s.Name] = s.Stamp
		if s.Name == "bi-bad" {
			if s.Invalid == "" {
				t.Fatal("an unparsable cfg was not flagged")
			}
		} else if s.Invalid != "" || s.InProgress || s.Size != mib || s.Checksum == "" {
			t.Fatalf("summary %+v", s)
		}
	}
	gets := ft.Calls(target.OpGet)
	l, err := st.ListChanged(ctx, seen)
	if err != nil || len(l.Loaded) != 0 || len(l.Unchanged) != 6 || len(l.Gone) != 0 {
		t.Fatalf("unchanged store: %+v %v", l, err)
	}
	if n := ft.Calls(target.OpGet) - gets; n != 0 {
		t.Fatalf("ListChanged read %d cfgs of an unchanged store", n)
	}
	backupBytes(t, st, "bi-new", randomBytes(70, mib), nil, "lz4")
	// The unparsable cfg makes GC abort, but the cfg itself is deleted.
	if _, err := st.Delete(ctx, "bi-1"); !errors.Is(err, ErrGCAborted) {
		t.Fatalf("delete with an unparsable cfg in the store: %v, want ErrGCAborted", err)
	}
	l, err = st.ListChanged(ctx, seen)
	if err != nil || len(l.Loaded) != 1 || l.Loaded[0].Name != "bi-new" || len(l.Gone) != 1 || l.Gone[0] != "bi-1" || len(l.Unchanged) != 5 {
		t.Fatalf("after one add and one delete: %+v %v", l, err)
	}
	ft.Add(faulty.Rule{Ops: []string{target.OpWalk}, Prefix: format.ConfigsDir, Entries: 2})
	if sums, err := st.List(ctx); err == nil || sums != nil {
		t.Fatalf("a failed listing returned %d entries and %v; want an error", len(sums), err)
	}
	ft.Reset()
	ft.Add(faulty.Rule{Ops: []string{target.OpGet}, Prefix: format.ConfigKey("bi-3"), Kind: target.KindTransient})
	if _, err := st.List(ctx); err == nil {
		t.Fatal("a failed cfg read was not reported")
	}
}
