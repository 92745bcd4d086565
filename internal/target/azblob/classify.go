package azblob

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/plinth-storage/plinth/internal/target"
)

// serviceError is a concise form of the SDK's multi-line ResponseError:
// status, error code and what to do. It unwraps to the SDK error.
type serviceError struct {
	status int
	code   string
	hint   string
	err    error
}

func (e *serviceError) Error() string {
	return fmt.Sprintf("Azure Blob service answered %d %s%s", e.status, e.code, e.hint)
}

func (e *serviceError) Unwrap() error { return e.err }

// isTimeout reports a network timeout (as net/http's response header
// timeout returns).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// classify maps an SDK error of a call made under ctx to a *target.Error.
// A missing blob is not-found; a missing container is permanent for every
// operation (the target is misconfigured, and a listing of it must not
// read as empty); refused credentials are permanent; throttling, timeouts
// (including the driver's own per-request ones, while ctx is not done)
// and 5xx are transient.
func (d *Driver) classify(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || isTimeout(err)) {
		// Not %w: the per-try deadline is not the caller's, and a wrapped
		// DeadlineExceeded would read as permanent.
		return target.NewError(op, key, target.KindTransient,
			fmt.Errorf("Azure Blob endpoint %s did not answer in time (per-request limits: %s for response headers, %s per try): %v",
				d.cfg.serviceURL, d.cfg.timeouts.responseHeader, d.cfg.timeouts.try, err))
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return target.NewError(op, key, target.KindTransient,
			fmt.Errorf("Azure Blob endpoint %s: %w", d.cfg.serviceURL, err))
	}
	se := &serviceError{status: re.StatusCode, code: re.ErrorCode, err: err}
	kind := target.KindPermanent
	switch {
	case bloberror.HasCode(err, bloberror.ContainerNotFound):
		se.hint = fmt.Sprintf(" (container %q does not exist in account %q: create it or fix the target URL)", d.cfg.container, d.cfg.account)
	case bloberror.HasCode(err, bloberror.BlobNotFound) || (re.StatusCode == http.StatusNotFound && re.ErrorCode == ""):
		kind = target.KindNotFound // HEAD responses carry no error code
	case re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden:
		se.hint = fmt.Sprintf(" (credentials refused for account %q: check %s and %s)", d.cfg.account, SecretAccountName, SecretAccountKey)
	case re.StatusCode == http.StatusRequestTimeout || re.StatusCode == http.StatusTooManyRequests ||
		re.StatusCode >= 500 || bloberror.HasCode(err, bloberror.ServerBusy, bloberror.OperationTimedOut):
		kind = target.KindTransient
	}
	return target.NewError(op, key, kind, se)
}
