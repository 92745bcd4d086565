package imagefmt

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheck feeds Check arbitrary images, starting from the committed seed
// images in testdata/ and the refused variants of TestCheckRefuses. The
// properties: Check never panics; whatever it accepts as qcow2 has its L1
// table, every L2 table, the refcount table and every data cluster inside
// the file; whatever it calls raw has no qcow2 magic.
func FuzzCheck(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.qcow2"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed images in testdata/ (%v): run testdata/make-seeds.sh", err)
	}
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, r := range seedRefusals(f) {
		f.Add(r.image)
	}
	f.Fuzz(func(t *testing.T, image []byte) {
		info, err := checkBytes(image, Limits{MaxVirtualSize: 1 << 40})
		if err != nil {
			return
		}
		if info.Format == Raw {
			if isQcow2(image) {
				t.Fatalf("an image with the qcow2 magic was accepted as raw")
			}
			return
		}
		if info.VirtualSize > 1<<40 {
			t.Fatalf("accepted a virtual size of %d over the limit", info.VirtualSize)
		}
		assertTablesInside(t, image)
	})
}

// assertTablesInside re-derives, independently of Check's code, that an
// accepted qcow2's tables and clusters lie inside the image.
func assertTablesInside(t *testing.T, image []byte) {
	be := binary.BigEndian
	size := uint64(len(image))
	cs := uint64(1) << be.Uint32(image[20:])
	inside := func(what string, off, n uint64) {
		if n > 0 && (off < cs || off+n < off || off+n > size) {
			t.Fatalf("accepted an image whose %s (%d bytes at %d) is outside the file of %d bytes or in its header",
				what, n, off, size)
		}
	}
	if be.Uint64(image[8:]) != 0 || be.Uint32(image[32:]) != 0 {
		t.Fatalf("accepted an image with a backing file or encryption")
	}
	if be.Uint32(image[4:]) == 3 && be.Uint64(image[72:])&(incompatDataFile|^uint64(incompatKnown)) != 0 {
		t.Fatalf("accepted an image with an external data file or an unknown feature")
	}
	inside("refcount table", be.Uint64(image[48:]), uint64(be.Uint32(image[56:]))*cs)
	l1Off, l1Size := be.Uint64(image[40:]), uint64(be.Uint32(image[36:]))
	inside("L1 table", l1Off, l1Size*8)
	entry := uint64(8)
	if be.Uint32(image[4:]) == 3 && be.Uint64(image[72:])&incompatExtendedL2 != 0 {
		entry = 16
	}
	for i := range l1Size {
		l2 := be.Uint64(image[l1Off+8*i:]) & offsetMask
		if l2 == 0 {
			continue
		}
		inside("L2 table", l2, cs)
		table := image[l2 : l2+cs]
		for j := uint64(0); j+entry <= cs; j += entry {
			e := be.Uint64(table[j:])
			if host := e & offsetMask; e&l2Compressed == 0 && host != 0 {
				inside("data cluster", host, 1)
			}
		}
	}
	if bytes.Equal(image[:4], qcow2Magic) && len(image) < qcow2V2HeaderLen {
		t.Fatalf("accepted a header shorter than %d bytes", qcow2V2HeaderLen)
	}
}
