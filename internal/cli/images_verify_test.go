package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func TestImageVerifyPrintsEachCopy(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	te.fake.PutImage(apitypes.BackingImage{Name: "golden", SourceType: apitypes.SourceUpload, DataEngine: "v1",
		DiskFileStatusMap: map[string]*apitypes.DiskFileStatus{
			"disk-a": {State: apitypes.StateReady, DataEngine: "v1", Message: "verify at 2026-01-01T00:00:00Z found block 2 (offset 4194304) damaged and repaired block 2 (offset 4194304) from a backup of the image"},
			"disk-b": {State: apitypes.StateReady, DataEngine: "v2"},
		}}, nil)
	if err := ImageVerify(context.Background(), te.env, "golden"); err != nil {
		t.Fatal(err)
	}
	out := te.out.String()
	for _, want := range []string{"DISK UUID", "disk-a", "disk-b", "repaired block 2 (offset 4194304) from a backup", "v2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	columnsAligned(t, out)
}

func TestImageVerifyFailsWhenACopyStaysFailed(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	te.fake.PutImage(apitypes.BackingImage{Name: "rotten", SourceType: apitypes.SourceUpload,
		DiskFileStatusMap: map[string]*apitypes.DiskFileStatus{
			"disk-a": {State: apitypes.StateFailed, Message: "copy rotten-u on disk /d is damaged: block 0 (offset 0) no longer matches"},
		}}, nil)
	err := ImageVerify(context.Background(), te.env, "rotten")
	if err == nil || !strings.Contains(err.Error(), "1 copy is failed") || !strings.Contains(err.Error(), "disk-a") {
		t.Fatalf("verify of a copy left failed: %v", err)
	}
	if !strings.Contains(te.out.String(), "block 0 (offset 0)") {
		t.Fatalf("output lacks the damage:\n%s", te.out.String())
	}
	if err := ImageVerify(context.Background(), te.env, "missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("verify of a missing image: %v", err)
	}
}
