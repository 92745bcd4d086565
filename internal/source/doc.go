// Package source fills a new copy from outside: an HTTP(S) download (with
// address checks, retries, resume and a stall timeout) or an upload request
// (multipart as Longhorn's UI sends it, or a raw body). It writes into any
// Sink; data engine v1's Writer is one. It knows nothing of disks or state.
package source

import "io"

// Sink receives an image's bytes in order.
type Sink interface {
	io.Writer
	// Written is how many bytes the sink has accepted; a resumed download
	// asks the server for the bytes from this offset on.
	Written() int64
	// Reset discards everything written, for a download that must start
	// over because the server cannot resume.
	Reset() error
}
