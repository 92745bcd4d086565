package v1

import (
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/enginetest"
)

// TestEngineContract holds data engine v1 to the contract every engine.Disk
// keeps (the same suite the in-memory fake passes).
func TestEngineContract(t *testing.T) {
	enginetest.RunContract(t, enginetest.Harness{
		New: func(t *testing.T) engine.Disk { return testDisk(t) },
		Flip: func(t *testing.T, d engine.Disk, id engine.CopyID, off int64) bool {
			flip(t, d.(*Disk), id, off) // a sparse file's hole takes the byte too
			return true
		},
	})
}
