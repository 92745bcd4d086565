package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/store"
)

// serveEvents is a Server-Sent Events stream of changes: one
// `event: change` per created, updated or deleted resource, with data
// {"kind","name","deleted"}; a `resync` event (empty kind) asks the client
// to reload everything. Comments every 15 s keep proxies from closing it.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeErr(w, r, fmt.Errorf("the response writer cannot stream"))
		return
	}
	events, stop := s.d.Hub.Subscribe()
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case e := <-events:
			data, _ := json.Marshal(map[string]any{"kind": e.Kind, "name": e.Name, "deleted": e.Deleted})
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", data)
		}
		flusher.Flush()
	}
}

// wsKinds maps the websocket type names to the store kind they follow.
var wsKinds = map[string]string{
	"backingimages": "backingimages", "nodes": "nodes", "settings": "settings",
	"backupbackingimages": "backupbackingimages", "backuptargets": "backuptargets",
}

// serveWebsocket is Longhorn's /v1/ws/[{period}/]{type}: it sends the
// whole collection of type at once and again after every change, at most
// once per period (default 1s).
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	kind, ok := wsKinds[r.PathValue("type")]
	if !ok {
		writeErr(w, r, errkind.NotFound("no event stream for %q: use one of backingimages, backupbackingimages, backuptargets, nodes, settings", r.PathValue("type")))
		return
	}
	period := time.Second
	if p := r.PathValue("period"); p != "" {
		d, err := time.ParseDuration(p)
		if err != nil || d < 100*time.Millisecond {
			writeErr(w, r, errkind.BadRequest("invalid period %q: use a duration such as 1s", p))
			return
		}
		period = d
	}
	events, stop := s.d.Hub.Subscribe()
	defer stop()
	// The API's guard has refused foreign origins; one it accepted (from
	// --allowed-origins) must not be refused again by the library's
	// same-host check, which stays on when the guard is absent.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: rancher.OriginChecked(r)})
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context())
	s.pushLists(ctx, conn, r, kind, period, events)
}

func (s *Server) pushLists(ctx context.Context, conn *websocket.Conn, r *http.Request, kind string, period time.Duration, events <-chan store.Event) {
	dirty := true
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		if dirty {
			body, err := s.renderList(r, kind)
			if err != nil || conn.Write(ctx, websocket.MessageText, body) != nil {
				return
			}
			dirty = false
		}
		select {
		case <-ctx.Done():
			return
		case e := <-events:
			if e.Kind == kind || e.Kind == "" {
				dirty = true
				<-tick.C // coalesce changes into at most one message per period
			}
		}
	}
}

// renderList renders the GET collection reply of kind into bytes.
func (s *Server) renderList(r *http.Request, kind string) ([]byte, error) {
	rec := &bufferWriter{header: http.Header{}}
	req := r.Clone(r.Context())
	req.URL.Path = "/v1/" + kind
	req.URL.RawQuery = ""
	switch kind {
	case "backingimages":
		s.listBackingImages(rec, req)
	case "nodes":
		s.listNodes(rec, req)
	case "settings":
		s.listSettings(rec, req)
	case "backupbackingimages":
		s.listBackups(rec, req)
	case "backuptargets":
		s.listBackupTargets(rec, req)
	default:
		return nil, fmt.Errorf("no list for %s", kind)
	}
	if rec.status >= 300 {
		return nil, fmt.Errorf("list %s: status %d", kind, rec.status)
	}
	return rec.buf.Bytes(), nil
}

// bufferWriter captures a handler's reply in memory.
type bufferWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.buf.Write(p)
}
