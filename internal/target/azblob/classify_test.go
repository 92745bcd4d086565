package azblob

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/plinth-storage/plinth/internal/target"
)

func TestClassify(t *testing.T) {
	d := &Driver{cfg: config{container: "bk", account: "acct", serviceURL: "https://acct.blob.core.windows.net/"}}
	resp := func(status int, code string) error { return &azcore.ResponseError{StatusCode: status, ErrorCode: code} }
	cases := []struct {
		err  error
		kind target.Kind
		msg  string
	}{
		{resp(404, "BlobNotFound"), target.KindNotFound, "404 BlobNotFound"},
		{resp(404, ""), target.KindNotFound, "404"},
		{resp(404, "ContainerNotFound"), target.KindPermanent, `container "bk" does not exist`},
		{resp(403, "AuthenticationFailed"), target.KindPermanent, "credentials refused"},
		{resp(400, "InvalidHeaderValue"), target.KindPermanent, "400"},
		{resp(503, "ServerBusy"), target.KindTransient, "503"},
		{resp(500, "InternalError"), target.KindTransient, "500"},
		{resp(429, ""), target.KindTransient, "429"},
		{errors.New("dial tcp: connection refused"), target.KindTransient, "connection refused"},
	}
	for _, c := range cases {
		err := d.classify(context.Background(), target.OpGet, "k", c.err)
		if target.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("classify(%v) = %q kind %v, want kind %v mentioning %q", c.err, err, target.KindOf(err), c.kind, c.msg)
		}
	}
	if !errors.Is(d.classify(context.Background(), target.OpGet, "k", resp(404, "BlobNotFound")), target.ErrNotFound) {
		t.Error("a missing blob does not wrap target.ErrNotFound")
	}
}
