package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// diskCheckStore formats a small volume store holding one volume with data
// and closes it, returning its path.
func diskCheckStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "block.img")
	s, err := volstore.Format(path, 64<<20, volstore.FormatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Create("img-1234", 10<<20, map[string]string{volstore.AttrState: "ready"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.WriteAt(bytes.Repeat([]byte{7}, 3<<20), 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// runDiskCheck runs DiskCheck with output format output.
func runDiskCheck(t *testing.T, path, output string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Out: &out, Err: &errOut, Output: output}
	err := DiskCheck(context.Background(), env, DiskCheckOptions{Path: path})
	return out.String(), err
}

func TestDiskCheckHealthy(t *testing.T) {
	path := diskCheckStore(t)
	out, err := runDiskCheck(t, path, OutputTable)
	if err != nil {
		t.Fatalf("check of a healthy store: %v\n%s", err, out)
	}
	for _, want := range []string{"volume store " + path, "1 volume(s), 2 cluster(s) owned, 0 leaked",
		"metadata copy A", "metadata copy B", "result: OK"} {
		if !strings.Contains(out, want) {
			t.Fatalf("report lacks %q:\n%s", want, out)
		}
	}
	out, err = runDiskCheck(t, path, OutputJSON)
	if err != nil {
		t.Fatal(err)
	}
	var r diskReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("JSON output: %v\n%s", err, out)
	}
	if !r.OK || r.Volumes != 1 || r.OwnedClusters != 2 || r.ClusterSize != volstore.DefaultClusterSize ||
		len(r.MetadataCopies) != 2 || r.Problems == nil || r.UUID == "" {
		t.Fatalf("JSON report %+v", r)
	}
}

// TestDiskCheckDamaged tears both metadata copies: the report says
// DAMAGED, and the error (exit 1) names the problem count.
func TestDiskCheckDamaged(t *testing.T) {
	path := diskCheckStore(t)
	r, err := volstore.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Copies {
		if _, err := f.WriteAt([]byte("torn"), c.Offset+30); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	out, err := runDiskCheck(t, path, OutputTable)
	if !errors.Is(err, ErrDiskDamaged) || !strings.Contains(err.Error(), "1 problem(s)") {
		t.Fatalf("check of a damaged store returned %v", err)
	}
	if !strings.Contains(out, "PROBLEM: no valid metadata copy") || !strings.Contains(out, "result: DAMAGED") {
		t.Fatalf("report:\n%s", out)
	}
	out, err = runDiskCheck(t, path, OutputJSON)
	var jr diskReport
	if !errors.Is(err, ErrDiskDamaged) || json.Unmarshal([]byte(out), &jr) != nil || jr.OK || jr.ProblemCount != 1 {
		t.Fatalf("JSON check of a damaged store: %v\n%s", err, out)
	}
}

// TestDiskCheckRefuses: a disk held open by a server, and a file that is
// not a volume store, are errors that say so, with no report.
func TestDiskCheckRefuses(t *testing.T) {
	path := diskCheckStore(t)
	s, err := volstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runDiskCheck(t, path, OutputTable)
	if !errors.Is(err, volstore.ErrInUse) || !strings.Contains(err.Error(), "in use by a running plinth server") || out != "" {
		t.Fatalf("check of a disk in use: %v\n%s", err, out)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.img")
	if err := os.WriteFile(other, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runDiskCheck(t, other, OutputTable); !errors.Is(err, volstore.ErrNotFormatted) {
		t.Fatalf("check of a file without a store: %v", err)
	}
}
