package contract

import (
	"net/http"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

func targetScenarios() []Scenario {
	return []Scenario{
		{"targets/create-update-sync-delete", targetLifecycle},
		{"targets/errors", targetErrors},
	}
}

func hasTarget(list []apitypes.BackupTarget, name string) bool {
	for _, bt := range list {
		if bt.Name == name {
			return true
		}
	}
	return false
}

// targetLifecycle: a file target is created with its poll interval shown
// as a duration, lists, updates (URL and interval), syncs and deletes.
func targetLifecycle(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	url := "file://" + t.TempDir()
	bt, err := c.CreateBackupTarget(ctx, apitypes.BackupTargetInput{Name: "c-tgt", BackupTargetURL: url, PollInterval: "600"})
	if err != nil || bt.Name != "c-tgt" || bt.BackupTargetURL != url || bt.PollInterval != "10m0s" || !bt.Available {
		t.Fatalf("create: %v %+v", err, bt)
	}
	got, err := c.GetBackupTarget(ctx, "c-tgt")
	if err != nil || got.BackupTargetURL != url || got.PollInterval != "10m0s" {
		t.Fatalf("get: %v %+v", err, got)
	}
	list, err := c.ListBackupTargets(ctx)
	if err != nil || !hasTarget(list, "c-tgt") || !hasTarget(list, "default") {
		t.Fatalf("list: %v %+v", err, list)
	}
	url2 := "file://" + t.TempDir()
	up, err := c.UpdateBackupTarget(ctx, "c-tgt", apitypes.BackupTargetInput{BackupTargetURL: url2, PollInterval: "5m"})
	if err != nil || up.BackupTargetURL != url2 || up.PollInterval != "5m0s" || up.CredentialSecret != "" {
		t.Fatalf("update: %v %+v", err, up)
	}
	synced, err := c.SyncBackupTarget(ctx, "c-tgt")
	if err != nil || synced.Name != "c-tgt" || synced.BackupTargetURL != url2 || !synced.Available {
		t.Fatalf("sync: %v %+v", err, synced)
	}
	if err := c.DeleteBackupTarget(ctx, "c-tgt"); err != nil {
		t.Fatal(err)
	}
	eventuallyGone(t, "target c-tgt", func() error { _, err := c.GetBackupTarget(ctx, "c-tgt"); return err })
	wantStatus(t, "delete a deleted target", c.DeleteBackupTarget(ctx, "c-tgt"), http.StatusNotFound, "c-tgt")
}

// targetErrors: duplicates (name or URL) are 409s, invalid values 422s,
// missing targets 404s, and the default target cannot be deleted.
func targetErrors(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	url := "file://" + t.TempDir()
	if _, err := c.CreateBackupTarget(ctx, apitypes.BackupTargetInput{Name: "c-tgt-a", BackupTargetURL: url}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateBackupTarget(ctx, apitypes.BackupTargetInput{Name: "c-tgt-a", BackupTargetURL: "file://" + t.TempDir()})
	wantStatus(t, "create a duplicate target", err, http.StatusConflict, "c-tgt-a")
	_, err = c.CreateBackupTarget(ctx, apitypes.BackupTargetInput{Name: "c-tgt-b", BackupTargetURL: url})
	wantStatus(t, "create a target with another's URL", err, http.StatusConflict, "c-tgt-a")

	other := "file://" + t.TempDir()
	invalid := map[string]apitypes.BackupTargetInput{
		"bad name":       {Name: "Bad Name", BackupTargetURL: other},
		"no name":        {BackupTargetURL: other},
		"unknown scheme": {Name: "c-tgt-c", BackupTargetURL: "ftp://host/x"},
		"bad interval":   {Name: "c-tgt-c", BackupTargetURL: other, PollInterval: "soon"},
		"missing secret": {Name: "c-tgt-c", BackupTargetURL: other, CredentialSecret: "c-no-secret"},
	}
	for what, in := range invalid {
		_, err := c.CreateBackupTarget(ctx, in)
		wantStatus(t, "create a target with "+what, err, http.StatusUnprocessableEntity)
	}
	_, err = c.UpdateBackupTarget(ctx, "c-tgt-a", apitypes.BackupTargetInput{BackupTargetURL: url, PollInterval: "soon"})
	wantStatus(t, "update with a bad interval", err, http.StatusUnprocessableEntity)
	_, err = c.UpdateBackupTarget(ctx, "c-tgt-a", apitypes.BackupTargetInput{Name: "c-tgt-z", BackupTargetURL: url})
	wantStatus(t, "update naming another target in the body", err, http.StatusUnprocessableEntity)

	_, err = c.GetBackupTarget(ctx, "c-tgt-missing")
	wantStatus(t, "get a missing target", err, http.StatusNotFound, "c-tgt-missing")
	_, err = c.UpdateBackupTarget(ctx, "c-tgt-missing", apitypes.BackupTargetInput{BackupTargetURL: "file://" + t.TempDir()})
	wantStatus(t, "update a missing target", err, http.StatusNotFound, "c-tgt-missing")
	_, err = c.SyncBackupTarget(ctx, "c-tgt-missing")
	wantStatus(t, "sync a missing target", err, http.StatusNotFound, "c-tgt-missing")
	wantStatus(t, "delete a missing target", c.DeleteBackupTarget(ctx, "c-tgt-missing"), http.StatusNotFound, "c-tgt-missing")
	wantStatus(t, "delete the default target", c.DeleteBackupTarget(ctx, "default"), http.StatusUnprocessableEntity, "default")
	if _, err := c.GetBackupTarget(ctx, "default"); err != nil {
		t.Fatalf("default target after a refused delete: %v", err)
	}
}
