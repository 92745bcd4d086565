package contract

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

// imageVerify: verifying an intact ready image answers with the image, its
// copies still ready; a missing image is a 404.
func imageVerify(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	data := imageData(7, 2<<20+99)
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "c-verify", SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	if err := c.UploadBackingImage(ctx, "c-verify", bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitBackingImage(ctx, "c-verify", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll}); err != nil {
		t.Fatal(err)
	}
	bi, err := c.VerifyBackingImage(ctx, "c-verify")
	if err != nil {
		t.Fatalf("verify an intact image: %v", err)
	}
	if bi.Name != "c-verify" || len(bi.DiskFileStatusMap) == 0 {
		t.Fatalf("verify answered %+v", bi)
	}
	for disk, st := range bi.DiskFileStatusMap {
		if st.State != apitypes.StateReady {
			t.Fatalf("copy on disk %s after verifying an intact image: %s %q", disk, st.State, st.Message)
		}
	}
	_, err = c.VerifyBackingImage(ctx, "c-verify-missing")
	wantStatus(t, "verify a missing image", err, http.StatusNotFound, "c-verify-missing")
}
