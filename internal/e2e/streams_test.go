package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestWebsocketAndEventStreams checks Longhorn's websocket list stream and
// the Server-Sent Events change stream.
func TestWebsocketAndEventStreams(t *testing.T) {
	d := startDaemon(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+d.addr+"/v1/ws/200ms/backingimages", nil)
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	defer ws.CloseNow()
	var first map[string]any
	if _, data, err := ws.Read(ctx); err != nil || json.Unmarshal(data, &first) != nil || first["type"] != "collection" {
		t.Fatalf("first websocket message: %v %s", err, data)
	}

	req, _ := http.NewRequestWithContext(ctx, "GET", d.URL+"/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("event stream: %v %v", err, resp)
	}
	defer resp.Body.Close()

	d.mustCall(200, "POST", "/v1/backingimages", `{"name":"streamed","sourceType":"upload"}`)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("no websocket message listing the new image: %v", err)
		}
		if strings.Contains(string(data), `"name":"streamed"`) {
			break
		}
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, `"streamed"`) {
			var ev map[string]any
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil || ev["kind"] != "backingimages" {
				t.Fatalf("change event %q: %v", line, err)
			}
			return
		}
	}
	t.Fatalf("the event stream ended without a change for the new image: %v", sc.Err())
}
