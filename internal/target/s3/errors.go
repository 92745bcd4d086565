package s3

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/plinth-storage/plinth/internal/target"
)

// classify maps an SDK error to a target error kind and, for permanent
// errors, says what the user should check. SDK errors carry the access key
// ID at most, never the secret key.
func (t *Target) classify(op, key string, err error) error {
	code, status := errorCode(err)
	kind := target.KindTransient
	hint := ""
	switch {
	case code == "NoSuchBucket" || (op == target.OpCheck && status == http.StatusNotFound):
		kind, hint = target.KindPermanent, fmt.Sprintf("bucket %q does not exist; check the bucket name in the URL and the endpoint", t.cfg.Bucket)
	case code == "NoSuchKey" || code == "NotFound" || status == http.StatusNotFound:
		return target.NewError(op, key, target.KindNotFound, err)
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
		code == "InvalidToken" || status == http.StatusUnauthorized:
		kind, hint = target.KindPermanent, "the server rejected the credentials; check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in the credential secret"
	case code == "AccessDenied" || status == http.StatusForbidden:
		kind, hint = target.KindPermanent, fmt.Sprintf("access denied; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the credential secret and that they may use bucket %q", t.cfg.Bucket)
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == http.StatusMovedPermanently:
		kind, hint = target.KindPermanent, fmt.Sprintf("the bucket is not reachable in region %q; check the region in the URL (s3://bucket@region/path)", t.cfg.Region)
	}
	if hint != "" {
		err = fmt.Errorf("%s: %w", hint, err)
	}
	return target.NewError(op, key, kind, err)
}

// errorCode extracts the S3 error code and HTTP status, when present.
func errorCode(err error) (code string, status int) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		status = respErr.HTTPStatusCode()
	}
	return code, status
}
