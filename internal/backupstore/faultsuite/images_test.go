package faultsuite

import (
	"crypto/sha512"
	"encoding/hex"
	"math/rand/v2"
	"slices"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

// The images every case backs up: 2 full blocks and a partial tail each,
// so every pair shares one block and the pool holds 7 distinct blocks.
//
//	base  = X | Y | tail
//	other = X | Z | tail
//	new   = Y | Z | W | tail
var images = func() map[string][]byte {
	block := func(seed uint64) []byte { return randomBytes(seed, format.BlockSize) }
	x, y, z, w := block(1), block(2), block(3), block(4)
	tail := func(seed uint64) []byte { return randomBytes(seed, 300<<10+int(seed)) }
	return map[string][]byte{
		"base":  slices.Concat(x, y, tail(11)),
		"other": slices.Concat(x, z, tail(12)),
		"new":   slices.Concat(y, z, w, tail(13)),
	}
}()

// setupBackups are written, without faults, before every stage.
var setupBackups = []string{"base", "other"}

// totalBlocks is how many distinct blocks the three images have.
const totalBlocks = 7

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sha512Hex is the image checksum the store records.
func sha512Hex(b []byte) string {
	sum := sha512.Sum512(b)
	return hex.EncodeToString(sum[:])
}
