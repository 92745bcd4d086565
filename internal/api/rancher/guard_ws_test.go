package rancher

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestGuardWebsocketOrigins opens real websockets, accepted the way the API
// accepts them (the library's own origin check skipped only for an origin
// the guard accepted): a page on a foreign origin cannot hijack the stream,
// a trusted UI origin and a client without Origin can open it.
func TestGuardWebsocketOrigins(t *testing.T) {
	guard, err := Guard(GuardOptions{AllowedOrigins: []string{"https://ui.example:8443"}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/ws/{type}", func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: OriginChecked(r)})
		if err != nil {
			return
		}
		defer conn.CloseNow()
		_ = conn.Write(r.Context(), websocket.MessageText, []byte(`{"type":"collection","data":[]}`))
		_ = conn.Close(websocket.StatusNormalClosure, "")
	})
	srv := httptest.NewServer(Stack(mux, StackOptions{Logger: slog.New(slog.DiscardHandler), Guard: guard}))
	t.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/ws/backingimages"

	for _, tc := range []struct {
		origin string
		status int // 0: the websocket opens
	}{
		{"http://evil.example", http.StatusForbidden},
		{"http://127.0.0.1:1", http.StatusForbidden},
		{"https://ui.example:8443", 0},
		{srv.URL, 0},
		{"", 0},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		hdr := http.Header{}
		if tc.origin != "" {
			hdr.Set("Origin", tc.origin)
		}
		conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: hdr})
		switch {
		case tc.status != 0:
			if err == nil {
				conn.CloseNow()
				t.Errorf("origin %q: websocket opened, want %d", tc.origin, tc.status)
			} else if resp == nil || resp.StatusCode != tc.status {
				t.Errorf("origin %q: %v (response %v), want status %d", tc.origin, err, resp, tc.status)
			}
		case err != nil:
			t.Errorf("origin %q: %v, want the websocket to open", tc.origin, err)
		default:
			_, msg, err := conn.Read(ctx)
			if err != nil || !strings.Contains(string(msg), "collection") {
				t.Errorf("origin %q: read %q, %v", tc.origin, msg, err)
			}
			conn.CloseNow()
		}
		cancel()
	}
}
