package v2

import (
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/enginetest"
)

// TestEngineContract holds data engine v2 to the contract every engine.Disk
// keeps (the same suite the in-memory fake passes).
func TestEngineContract(t *testing.T) {
	enginetest.RunContract(t, enginetest.Harness{
		New: func(t *testing.T) engine.Disk {
			d, _ := testDisk(t, 256<<20)
			return d
		},
		Flip: func(t *testing.T, d engine.Disk, id engine.CopyID, off int64) bool {
			v, err := d.(*Disk).store.Get(id.String())
			if err != nil {
				t.Fatal(err)
			}
			if _, stored := v.DiskOffset(off); !stored {
				return false // a zero block is a hole: no cluster to rot
			}
			flipByte(t, d.(*Disk), id, off)
			return true
		},
	})
}
