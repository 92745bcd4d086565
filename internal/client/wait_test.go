package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

func TestWaitBackingImageReadyAndFailed(t *testing.T) {
	c := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := bytes.Repeat([]byte("plinth wait test "), 1<<16)
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/a.img" {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "a.img", time.Time{}, bytes.NewReader(data))
	}))
	defer src.Close()
	in := apitypes.BackingImageCreateInput{Name: "aa", SourceType: apitypes.SourceDownload,
		Parameters: map[string]string{"url": src.URL + "/a.img"}}
	if _, err := c.CreateBackingImage(ctx, in); err != nil {
		t.Fatal(err)
	}
	var seen []client.ImageSummary
	poll := client.Poll[*apitypes.BackingImage]{Interval: 10 * time.Millisecond, Observe: func(bi *apitypes.BackingImage) {
		seen = append(seen, client.SummarizeBackingImage(bi))
	}}
	bi, err := c.WaitBackingImage(ctx, "aa", client.BackingImageReady, poll)
	if err != nil || client.SummarizeBackingImage(bi).State != apitypes.StateReady || bi.Size != int64(len(data)) {
		t.Fatalf("wait: %v %+v", err, bi)
	}
	if len(seen) == 0 || seen[len(seen)-1].State != apitypes.StateReady || seen[len(seen)-1].Progress != 100 {
		t.Fatalf("summaries seen: %+v", seen)
	}

	in.Name, in.Parameters = "bb", map[string]string{"url": src.URL + "/gone.img"}
	if _, err := c.CreateBackingImage(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err = c.WaitBackingImage(ctx, "bb", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: 10 * time.Millisecond})
	if !errors.Is(err, client.ErrFailed) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("want failure with message, got %v", err)
	}
}

func TestWaitStopsOnContext(t *testing.T) {
	c := newServer(t)
	if _, err := c.CreateBackingImage(context.Background(), apitypes.BackingImageCreateInput{Name: "stuck", SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
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

// WaitBackup and BackupCompleted, and the backup methods, are exercised
// against the real server by internal/client/contract (backups/...).
