package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// statusError is a response status that is not the data.
type statusError struct {
	code      int
	status    string
	transient bool
}

func (e *statusError) Error() string {
	if e.transient {
		return fmt.Sprintf("server answered %s (will retry)", e.status)
	}
	return fmt.Sprintf("server answered %s: check the URL and that the file is public or carries its credentials", e.status)
}

// accept checks the response and records what it says about resuming. A
// 200 to a range request means the server sent everything again, so the
// sink is reset. A 206 must start exactly at offset.
func (d *download) accept(resp *http.Response, offset int64) error {
	switch resp.StatusCode {
	case http.StatusOK:
		if offset > 0 {
			if err := d.dst.Reset(); err != nil {
				return err
			}
		}
		d.total = resp.ContentLength
		d.ranges = strings.EqualFold(strings.TrimSpace(resp.Header.Get("Accept-Ranges")), "bytes")
		d.validator = validatorOf(resp.Header)
		return nil
	case http.StatusPartialContent:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != offset {
			d.ranges = false // do not trust this server's ranges again
			return &sourceError{err: fmt.Errorf("server resumed at the wrong place (Content-Range %q, wanted byte %d); starting over",
				resp.Header.Get("Content-Range"), offset)}
		}
		d.ranges = true
		if total >= 0 {
			d.total = total
		}
		d.result.Resumes++
		return nil
	default:
		code := resp.StatusCode
		if code == http.StatusRequestedRangeNotSatisfiable {
			d.ranges = false
		}
		transient := code == http.StatusRequestTimeout || code == http.StatusTooManyRequests ||
			code == http.StatusRequestedRangeNotSatisfiable || code >= 500
		return &statusError{code: code, status: resp.Status, transient: transient}
	}
}

// validatorOf returns a strong ETag or else Last-Modified, for If-Range.
// A weak ETag cannot be used with If-Range.
func validatorOf(h http.Header) string {
	if etag := h.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
		return etag
	}
	return h.Get("Last-Modified")
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL may be "*": -1).
func parseContentRange(v string) (start, total int64, err error) {
	var end int64
	var totalStr string
	if _, err := fmt.Sscanf(v, "bytes %d-%d/%s", &start, &end, &totalStr); err != nil {
		return 0, 0, fmt.Errorf("bad Content-Range %q", v)
	}
	total = -1
	if totalStr != "*" {
		if _, err := fmt.Sscanf(totalStr, "%d", &total); err != nil {
			return 0, 0, fmt.Errorf("bad Content-Range %q", v)
		}
	}
	return start, total, nil
}

// transient tells whether retrying err may help: anything that went wrong
// on the way from the server (sourceError, retryable statuses) except a
// refused address, a bad URL, a name that does not exist or a certificate
// problem. Errors writing into the sink are not retried.
func transient(err error) bool {
	var se *statusError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	switch {
	case errors.Is(err, ErrForbiddenAddress), errors.Is(err, ErrInvalidURL), errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return false
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &authErr):
		return false
	case errors.As(err, &se):
		return se.transient
	}
	var srcErr *sourceError
	return errors.As(err, &srcErr)
}
