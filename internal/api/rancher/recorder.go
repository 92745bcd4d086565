package rancher

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
)

// recorder wraps the ResponseWriter once per request and is shared, through
// the request context, by every middleware of the stack: it records the
// status, the bytes written, the matched route and the request logger.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	route  string // ServeMux pattern, "" until known
	logger *slog.Logger
}

type recorderKey struct{}

// track returns the request's recorder, creating it (and a request
// carrying it) if no outer middleware did. The writer to pass on is w when
// the recorder already existed, so inner layers keep any wrapping between.
func track(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *recorder, *http.Request) {
	if rec, ok := r.Context().Value(recorderKey{}).(*recorder); ok {
		return w, rec, r
	}
	rec := &recorder{ResponseWriter: w}
	return rec, rec, r.WithContext(context.WithValue(r.Context(), recorderKey{}, rec))
}

func recorderFrom(r *http.Request) *recorder {
	rec, _ := r.Context().Value(recorderKey{}).(*recorder)
	return rec
}

// loggerFrom returns the logger the Log or Recover middleware attached, or
// slog.Default.
func loggerFrom(r *http.Request) *slog.Logger {
	if rec := recorderFrom(r); rec != nil && rec.logger != nil {
		return rec.logger
	}
	return slog.Default()
}

// WriteHeader records the first final status (informational 1xx other than
// 101 do not end the header phase).
func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(p)
	rec.bytes += int64(n)
	return n, err
}

// Flush sends buffered data (event streams need it); it commits a 200 if
// nothing was written yet.
func (rec *recorder) Flush() {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	_ = http.NewResponseController(rec.ResponseWriter).Flush()
}

// Hijack hands the connection over (websockets) and records a 101.
func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil && rec.status == 0 {
		rec.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *recorder) wroteHeader() bool { return rec.status != 0 }

// code is the status the client got: 200 if the handler wrote nothing.
func (rec *recorder) code() int {
	if rec.status == 0 {
		return http.StatusOK
	}
	return rec.status
}

var (
	_ http.Flusher  = (*recorder)(nil)
	_ http.Hijacker = (*recorder)(nil)
)
