package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

func TestQueryBoolIsStrict(t *testing.T) {
	for in, want := range map[string]bool{"": false, "false": false, "FALSE": false, "true": true, "True": true} {
		r := httptest.NewRequest(http.MethodGet, "/x?flag="+in, nil)
		if got, err := queryBool(r, "flag"); err != nil || got != want {
			t.Errorf("queryBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"1", "0", "t", "yes", "on", "truee"} {
		r := httptest.NewRequest(http.MethodGet, "/x?flag="+bad, nil)
		_, err := queryBool(r, "flag")
		if err == nil || statusOf(err) != http.StatusBadRequest {
			t.Errorf("queryBool(%q) = %v, want a 400", bad, err)
		}
	}
}

// DELETE ?localOnly=1 used to be read as false and delete the remote backup
// and its blocks; it must be refused and leave the backup untouched.
func TestDeleteBackupRefusesNonBooleanLocalOnly(t *testing.T) {
	b := store.NewTestBackend(t)
	records := store.NewKind[model.Backup](b.Client, model.KindBackups)
	ctx := context.Background()
	if _, err := records.Create(ctx, "bk", model.Backup{Name: "bk", BackingImageName: "img", BackupTargetName: "default", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var enqueued []string
	s := &Server{d: Deps{Backups: &BackupDeps{Records: records, Enqueue: func(n string) { enqueued = append(enqueued, n) }}}, schemas: buildSchemas()}
	mux := http.NewServeMux()
	s.routes(mux)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/v1/backupbackingimages/bk?localOnly=1", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("DELETE ?localOnly=1: status %d (%s), want 400", rec.Code, rec.Body)
	}
	cur, err := records.Get(ctx, "bk")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Value.DeletionRequested != nil || len(enqueued) != 0 {
		t.Fatalf("a refused delete marked the backup for deletion: %+v, enqueued %v", cur.Value, enqueued)
	}

	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/v1/backupbackingimages/bk?localOnly=TRUE", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("DELETE ?localOnly=TRUE: status %d (%s), want 200", rec.Code, rec.Body)
	}
	cur, err = records.Get(ctx, "bk")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Value.DeletionRequested == nil || !cur.Value.LocalOnly {
		t.Fatalf("DELETE ?localOnly=TRUE recorded %+v, want a local-only deletion", cur.Value)
	}
}
