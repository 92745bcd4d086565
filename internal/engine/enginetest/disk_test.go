package enginetest

import (
	"context"
	"errors"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
)

func TestFakeKeepsTheContract(t *testing.T) { RunContract(t, ForFake()) }

func TestFakeBuildsALegacyManifestOnce(t *testing.T) {
	d, id, data := NewDisk(engine.V2, "/mem", "u"), engine.CopyID{Name: "old", UUID: "u-1"}, Image(1, 2)
	d.PutLegacy(id, data)
	d.Flip(id, 5)
	var de *engine.DamagedError
	if _, err := d.Manifest(context.Background(), id); !errors.As(err, &de) || !de.Whole {
		t.Fatalf("Manifest of a damaged legacy copy: %v, want a whole-copy DamagedError", err)
	}
	d.Flip(id, 5)
	m, err := d.Manifest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	sameManifest(t, "legacy", m, ManifestOf(data))
	if _, err := d.Verify(context.Background(), id, engine.VerifyOptions{BytesPerSecond: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	if calls := d.VerifyCalls(); len(calls) != 1 || calls[0].BytesPerSecond != 1<<30 {
		t.Fatalf("VerifyCalls = %+v", calls)
	}
}
