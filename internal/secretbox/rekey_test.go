package secretbox

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestRekeyKeepsOldKeysUntilEverythingIsResealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.key")
	ring, _, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	oldID := ring.IDs()[0]
	sealed, _ := ring.Seal(name, plain)
	// A reseal that fails (a crash would do the same) leaves both keys in
	// the file: the old value still opens with a fresh load of it.
	_, err = ring.Rekey(context.Background(), func(context.Context) (int, error) { return 0, errors.New("etcd went away") })
	if err == nil {
		t.Fatal("rekey reported success although reseal failed")
	}
	reloaded, _, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if ids := reloaded.IDs(); len(ids) != 2 || ids[1] != oldID {
		t.Fatalf("after a failed rekey the file holds %v, want [new %s]", ids, oldID)
	}
	if _, err := reloaded.Open(name, sealed); err != nil {
		t.Fatalf("value sealed before the failed rekey: %v", err)
	}
	// A successful rekey keeps only the new primary.
	calls := 0
	n, err := ring.Rekey(context.Background(), func(context.Context) (int, error) {
		calls++
		if calls == 1 {
			return 3, nil
		}
		return 0, nil
	})
	if err != nil || n != 3 || calls != 2 {
		t.Fatalf("rekey: n=%d calls=%d err=%v, want 3 rewritten in 2 passes", n, calls, err)
	}
	reloaded, _, err = LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if ids := reloaded.IDs(); len(ids) != 1 || ids[0] == oldID || ids[0] != ring.IDs()[0] {
		t.Fatalf("after rekey the file holds %v (old %s, ring %v)", ids, oldID, ring.IDs())
	}
}
