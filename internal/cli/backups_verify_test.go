package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func TestBackupRepairSendsRepairAndPrintsTheSource(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	seedBackupImages(te)
	ctx := context.Background()
	if _, err := te.env.Client.CreateBackup(ctx, "win", apitypes.BackupBackingImageCreateInput{BackupTargetName: "default", Name: "bad-fixable"}); err != nil {
		t.Fatal(err)
	}
	if err := BackupRepair(ctx, te.env, "bad-fixable"); err != nil {
		t.Fatalf("repair: %v\n%s", err, te.out)
	}
	if out := te.out.String(); !strings.Contains(out, "OK") || !strings.Contains(out, "1 blocks from backing image win") {
		t.Fatalf("repair report:\n%s", out)
	}
}
