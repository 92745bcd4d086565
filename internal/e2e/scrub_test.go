package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const blockSize = 2 << 20

// scrubImage is one image of the scrub test: where its only copy lives and
// the file to search for its bytes.
type scrubImage struct {
	name, engine, src string
	data              []byte
	// search lists the files that may hold the copy's bytes (the v1 disk's
	// files, or the v2 block disk's file).
	search func(t *testing.T) []string
}

// TestScrubFindsAndRepairsFlippedBytes: a flipped byte in a v1 copy and in
// a v2 volume is found by `plinth backing-image verify` (and `plinth image
// verify`) and by the background scrub, and the copy is repaired in place
// from a backup; a backup of a damaged copy fails naming the block.
func TestScrubFindsAndRepairsFlippedBytes(t *testing.T) {
	d := startDaemon(t, "")
	blockFile := d.addFileBlockDisk(t)
	v1Dir := d.diskStatus("default-disk")["path"].(string)
	dir := t.TempDir()
	images := []*scrubImage{
		{name: "scrub-v1", engine: "v1", search: func(t *testing.T) []string { return filesUnder(t, v1Dir) }},
		{name: "scrub-v2", engine: "v2", search: func(*testing.T) []string { return []string{blockFile} }},
	}
	for i, im := range images {
		im.src = filepath.Join(dir, im.name+".raw")
		writeImage(t, im.src, 4*blockSize, 4*blockSize, int64(300+i)) // four data blocks
		im.data, _ = os.ReadFile(im.src)
		d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":%q,"sourceType":"download","parameters":{"url":%q},"dataEngine":%q}`,
			im.name, serveFile(t, im.src).URL, im.engine))
		d.waitImage(im.name, time.Minute, allCopies("ready"))
		d.waitBackup(d.backupOf(im.name, `{}`)["name"].(string), "Completed", time.Minute)
	}

	// 1. On demand: block 2 is found and repaired from the backup.
	for i, im := range images {
		flipImageByte(t, im, 2*blockSize+4096+10)
		cmd := []string{"backing-image", "verify", im.name}
		if i == 1 {
			cmd[0] = "image" // the alias the issue names
		}
		out, err := d.plinthCLI(cmd...)
		if err != nil || !strings.Contains(out, "block 2 (offset 4194304)") || !strings.Contains(out, "from a backup") || !strings.Contains(out, "ready") {
			t.Fatalf("plinth %s: %v\n%s", strings.Join(cmd, " "), err, out)
		}
		d.waitImage(im.name, 10*time.Second, allCopies("ready"))
		d.downloadEquals(im.name, im.src)
	}

	// 2. A backup of a damaged copy to a fresh target fails naming the
	// block (the background scrub is a week away), the copy is failed, and
	// verify repairs it.
	d.addTarget(t, "fresh", "file://"+t.TempDir())
	for _, im := range images {
		flipImageByte(t, im, blockSize+5)
		b := d.backupOf(im.name, `{"backupTargetName":"fresh"}`)["name"].(string)
		got := d.waitBackup(b, "Error", time.Minute)
		if msg := fmt.Sprint(got["error"], got["messages"]); !strings.Contains(msg, "block 1 (offset 2097152)") {
			t.Fatalf("backup %s of the damaged %s copy: %v, want an error naming block 1 (offset 2097152)", b, im.engine, got)
		}
		d.waitImage(im.name, 10*time.Second, copyMessage("failed", "block 1 (offset 2097152)"))
		if out, err := d.plinthCLI("backing-image", "verify", im.name); err != nil || !strings.Contains(out, "block 1 (offset 2097152)") {
			t.Fatalf("verify after the failed backup: %v\n%s", err, out)
		}
		d.waitImage(im.name, 10*time.Second, allCopies("ready"))
		d.downloadEquals(im.name, im.src)
	}

	// 3. The background scrub finds and repairs a flip by itself.
	d.mustCall(200, "PUT", "/v1/settings/backing-image-scrub-interval", `{"value":"2s"}`)
	for _, im := range images {
		flipImageByte(t, im, 3*blockSize+100)
	}
	for _, im := range images {
		d.waitImage(im.name, 90*time.Second, copyMessage("ready", "scrub at", "block 3 (offset 6291456)", "from a backup"))
		d.downloadEquals(im.name, im.src)
	}
}

// addFileBlockDisk adds a 1 GiB block disk on a plain file (tag "file")
// beside the default disk and returns the file's path.
func (d *daemon) addFileBlockDisk(t *testing.T) string {
	t.Helper()
	def := d.diskStatus("default-disk")
	path := filepath.Join(t.TempDir(), "blockdisk.img")
	body, _ := json.Marshal(map[string]any{"disks": map[string]any{
		"default-disk": map[string]any{"path": def["path"], "diskType": "filesystem", "allowScheduling": true},
		"blk-file":     map[string]any{"path": path, "diskType": "block", "size": 1 << 30, "allowScheduling": true, "tags": []string{"file"}},
	}})
	d.mustCall(200, "POST", "/v1/nodes/node-1?action=diskUpdate", string(body))
	if st := d.diskStatus("blk-file"); st["diskUUID"] == "" || available(st) <= 0 {
		t.Fatalf("block disk not ready: %v", st)
	}
	return path
}

// copyMessage is a predicate: every copy in state with a message holding
// all of want.
func copyMessage(state string, want ...string) func(map[string]any) bool {
	return func(bi map[string]any) bool {
		cs := copies(bi)
		for _, c := range cs {
			msg, _ := c["message"].(string)
			if c["state"] != state {
				return false
			}
			for _, w := range want {
				if !strings.Contains(msg, w) {
					return false
				}
			}
		}
		return len(cs) > 0
	}
}

// flipImageByte inverts the stored byte at image offset off of im's only
// copy, found by searching the copy's files for the 64 bytes after off.
func flipImageByte(t *testing.T, im *scrubImage, off int64) {
	t.Helper()
	pattern := im.data[off : off+64]
	var hits []string
	var path string
	var at int64
	for _, p := range im.search(t) {
		for _, o := range findAll(t, p, pattern) {
			hits, path, at = append(hits, fmt.Sprintf("%s@%d", p, o)), p, o
		}
	}
	if len(hits) != 1 {
		t.Fatalf("the bytes at offset %d of %s are stored %d times (%v), want once", off, im.name, len(hits), hits)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// filesUnder lists the regular files under dir.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// findAll returns every offset of pattern in the file at path, reading
// only its data extents (a block disk's file is mostly holes).
func findAll(t *testing.T, path string, pattern []byte) []int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	var out []int64
	buf := make([]byte, 4<<20)
	for off := int64(0); ; {
		start, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			return out // no data after off
		}
		if err != nil {
			t.Fatalf("seek data in %s: %v", path, err)
		}
		end, err := unix.Seek(fd, start, unix.SEEK_HOLE)
		if err != nil {
			t.Fatalf("seek hole in %s: %v", path, err)
		}
		for pos := start; pos < end; pos += int64(len(buf) - len(pattern)) {
			n, err := f.ReadAt(buf[:min(int64(len(buf)), end-pos)], pos)
			if err != nil && !errors.Is(err, io.EOF) {
				t.Fatalf("read %s: %v", path, err)
			}
			for from := 0; ; {
				i := bytes.Index(buf[from:n], pattern)
				if i < 0 {
					break
				}
				if o := pos + int64(from+i); len(out) == 0 || out[len(out)-1] != o { // chunks overlap
					out = append(out, o)
				}
				from += i + 1
			}
			if pos+int64(n) >= end {
				break
			}
		}
		off = end
	}
}
