package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

func TestWaitBackingImageReadyAndFailed(t *testing.T) {
	f, c := newPair(t)
	ctx := context.Background()
	in := apitypes.BackingImageCreateInput{Name: "a", SourceType: apitypes.SourceDownload,
		Parameters: map[string]string{"url": "https://example.invalid/a.img"}}
	if _, err := c.CreateBackingImage(ctx, in); err != nil {
		t.Fatal(err)
	}
	var seen []int
	poll := client.Poll[*apitypes.BackingImage]{Interval: time.Millisecond, Observe: func(bi *apitypes.BackingImage) {
		seen = append(seen, client.SummarizeBackingImage(bi).Progress)
	}}
	bi, err := c.WaitBackingImage(ctx, "a", client.BackingImageReady, poll)
	if err != nil || client.SummarizeBackingImage(bi).State != apitypes.StateReady {
		t.Fatalf("wait: %v %+v", err, bi)
	}
	if len(seen) < 2 || seen[0] != 50 || seen[len(seen)-1] != 100 {
		t.Fatalf("progress seen: %v", seen)
	}

	f.FailDownloads = "source answered 404"
	in.Name = "b"
	if _, err := c.CreateBackingImage(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err = c.WaitBackingImage(ctx, "b", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: time.Millisecond})
	if !errors.Is(err, client.ErrFailed) || !strings.Contains(err.Error(), "source answered 404") {
		t.Fatalf("want failure with message, got %v", err)
	}
}

func TestWaitStopsOnContext(t *testing.T) {
	f, c := newPair(t)
	f.PutImage(apitypes.BackingImage{Name: "stuck", SourceType: apitypes.SourceUpload,
		DiskFileStatusMap: map[string]*apitypes.DiskFileStatus{"d": {State: apitypes.StatePending}}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.WaitBackingImage(ctx, "stuck", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: 5 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline, got %v", err)
	}
}

func TestSummarize(t *testing.T) {
	cases := []struct {
		files map[string]*apitypes.DiskFileStatus
		state string
		ready int
	}{
		{nil, apitypes.StatePending, 0},
		{map[string]*apitypes.DiskFileStatus{"a": {State: apitypes.StateFailed, Message: "m"}, "b": {State: apitypes.StateReady}}, apitypes.StateReady, 1},
		{map[string]*apitypes.DiskFileStatus{"a": {State: apitypes.StateFailed, Message: "m"}, "b": {State: apitypes.StateInProgress, Progress: 30}}, apitypes.StateInProgress, 0},
		{map[string]*apitypes.DiskFileStatus{"a": {State: apitypes.StateFailed, Message: "m"}}, apitypes.StateFailed, 0},
	}
	for i, tc := range cases {
		s := client.SummarizeBackingImage(&apitypes.BackingImage{DiskFileStatusMap: tc.files})
		if s.State != tc.state || s.Ready != tc.ready {
			t.Errorf("case %d: %+v", i, s)
		}
	}
}

func TestBackupLifecycle(t *testing.T) {
	f, c := newPair(t)
	ctx := context.Background()
	f.PutImage(apitypes.BackingImage{Name: "img"}, nil)
	f.PutImage(apitypes.BackingImage{Name: "img2"}, nil)
	b, err := c.CreateBackup(ctx, "img", apitypes.BackupBackingImageCreateInput{BackupTargetName: "default"})
	if err != nil || !strings.HasPrefix(b.Name, "img-") {
		t.Fatalf("create: %v %+v", err, b)
	}
	if _, err := c.CreateBackup(ctx, "img", apitypes.BackupBackingImageCreateInput{BackupTargetName: "default"}); !client.IsConflict(err) {
		t.Fatalf("second backup: want 409, got %v", err)
	}
	done, err := c.WaitBackup(ctx, b.Name, client.BackupCompleted, client.Poll[*apitypes.BackupBackingImage]{Interval: time.Millisecond})
	if err != nil || done.State != apitypes.BackupStateCompleted {
		t.Fatalf("wait backup: %v %+v", err, done)
	}
	res, err := c.CreateBackups(ctx, apitypes.BackupBackingImageBatchCreateInput{
		BackingImageNames: []string{"img2", "missing"}, BackupTargetName: "default"})
	if err != nil || len(res) != 2 || res[0].BackupBackingImage == nil || res[1].Error == nil || res[1].Error.Status != 404 {
		t.Fatalf("batch: %v %+v", err, res)
	}
	list, err := c.ListBackups(ctx, client.BackupFilter{BackingImageName: "img2"})
	if err != nil || len(list) != 1 || list[0].BackingImageName != "img2" {
		t.Fatalf("filtered list: %v %+v", err, list)
	}
	rep, err := c.VerifyBackup(ctx, b.Name)
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	bi, err := c.RestoreBackup(ctx, b.Name, apitypes.BackingImageRestoreInput{Name: "img-restored"})
	if err != nil || bi.Name != "img-restored" {
		t.Fatalf("restore: %v %+v", err, bi)
	}
	if err := c.DeleteBackup(ctx, b.Name, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBackup(ctx, b.Name); !client.IsNotFound(err) {
		t.Fatalf("after delete: %v", err)
	}
}
