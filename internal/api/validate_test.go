package api

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
)

func TestCheckNameFollowsLonghornRules(t *testing.T) {
	for name, ok := range map[string]bool{
		"debian-12": true, "a.b_c": true, "x1": true,
		"": false, "x": false, "Upper": false, "-lead": false, "sp ace": false, "../etc": false,
		strings.Repeat("a", 41): false,
	} {
		err := checkName("backing image", name, maxBackingImageName)
		if (err == nil) != ok {
			t.Errorf("checkName(%q) = %v, want ok=%v", name, err, ok)
		}
		if err != nil && statusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("checkName(%q): status %d, want 422", name, statusOf(err))
		}
	}
}

func TestParsePoll(t *testing.T) {
	for in, want := range map[string]int{"": 300, "300": 300, "0": 0, "5m0s": 300, "90s": 90} {
		if got, err := parsePoll(in); err != nil || got != want {
			t.Errorf("parsePoll(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1", "soon", "5 minutes"} {
		if _, err := parsePoll(bad); statusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("parsePoll(%q) = %v, want a 422", bad, err)
		}
	}
}

func TestMarkCleanupKeepsMinimumReadyCopies(t *testing.T) {
	bi := &model.BackingImage{Name: "img", MinNumberOfCopies: 2, Status: model.BackingImageStatus{Copies: map[string]*model.Copy{
		"d1": {State: apitypes.StateReady}, "d2": {State: apitypes.StateReady}, "d3": {State: apitypes.StateFailed},
	}}}
	if err := markCleanup(bi, []string{"d1"}); statusOf(err) != http.StatusConflict {
		t.Fatalf("cleanup below the minimum: %v, want 409", err)
	}
	if err := markCleanup(bi, []string{"nope"}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Fatalf("cleanup of a disk without a copy: %v, want 422", err)
	}
	if err := markCleanup(bi, []string{"d3"}); err != nil || !bi.Status.Copies["d3"].Cleanup {
		t.Fatalf("cleanup of a failed copy: %v", err)
	}
}

func TestCheckDisks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("x"), 0o600)
	ok := map[string]apitypes.DiskSpec{
		"fs":   {Path: dir},
		"blk":  {Path: file, DiskType: apitypes.DiskTypeBlock},
		"new":  {Path: filepath.Join(dir, "new.img"), DiskType: apitypes.DiskTypeBlock, Size: 1 << 30},
		"new2": {Path: filepath.Join(dir, "n2.img"), DiskType: "block", Size: 128 << 20},
	}
	if err := checkDisks(ok); err != nil {
		t.Fatalf("valid disks refused: %v", err)
	}
	if ok["fs"].DiskType != apitypes.DiskTypeFilesystem {
		t.Errorf("empty diskType not defaulted to filesystem")
	}
	bad := []map[string]apitypes.DiskSpec{
		nil,
		{"rel": {Path: "relative/path"}},
		{"a": {Path: dir}, "b": {Path: dir}},
		{"fsfile": {Path: file}},
		{"blkdir": {Path: dir, DiskType: "block"}},
		{"nosize": {Path: filepath.Join(dir, "missing.img"), DiskType: "block"}},
		{"tiny": {Path: filepath.Join(dir, "t.img"), DiskType: "block", Size: 1 << 20}},
		{"zfs": {Path: dir, DiskType: "zfs"}},
		{"Bad Name": {Path: dir}},
	}
	for _, disks := range bad {
		if err := checkDisks(disks); statusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("checkDisks(%v) = %v, want a 422", disks, err)
		}
	}
}
