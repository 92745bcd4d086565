package backupstore

import (
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
)

// A manifest's block IDs are used as Longhorn block IDs as they are: the
// two functions must agree on every input, short tails included.
func TestEngineSumIsLonghornBlockID(t *testing.T) {
	inputs := [][]byte{
		[]byte("x"),
		randomBytes(40, 4096),
		randomBytes(41, format.BlockSize),
		randomBytes(42, format.BlockSize-1),
		append(make([]byte, format.BlockSize-1), 1),
	}
	for i, in := range inputs {
		if got, want := engine.SumOf(in).String(), format.BlockID(in); got != want {
			t.Fatalf("input %d (%d bytes): engine.SumOf = %s, format.BlockID = %s", i, len(in), got, want)
		}
	}
	if engine.BlockSize != format.BlockSize || engine.IDLen*2 != format.IDLength {
		t.Fatalf("block size %d/%d or ID length %d/%d differ", engine.BlockSize, format.BlockSize, engine.IDLen*2, format.IDLength)
	}
}
