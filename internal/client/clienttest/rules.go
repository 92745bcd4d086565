package clienttest

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// The real API's validation rules (internal/api), kept here so the fake
// refuses what the server refuses; the contract suite checks they agree.

var nameRegexp = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]+$`)

const (
	maxImageName = 40
	maxName      = 63
)

// checkName is a 422 unless name is a valid resource name.
func checkName(kind, name string, maxLen int) *httpError {
	switch {
	case name == "":
		return errorf(http.StatusUnprocessableEntity, "%s name is required", kind)
	case len(name) > maxLen:
		return errorf(http.StatusUnprocessableEntity, "invalid %s name %q: at most %d characters", kind, name, maxLen)
	case !nameRegexp.MatchString(name):
		return errorf(http.StatusUnprocessableEntity, "invalid %s name %q: use 2 or more lowercase letters, digits, '-', '_' or '.'", kind, name)
	}
	return nil
}

var checksumRegexp = regexp.MustCompile(`^[0-9a-f]{128}$`)

// checkImageInput validates and normalises a create request as the real
// API does (422 for anything it refuses).
func checkImageInput(in *apitypes.BackingImageCreateInput) *httpError {
	if err := checkName("backing image", in.Name, maxImageName); err != nil {
		return err
	}
	in.ExpectedChecksum = strings.ToLower(strings.TrimSpace(in.ExpectedChecksum))
	if in.ExpectedChecksum != "" && !checksumRegexp.MatchString(in.ExpectedChecksum) {
		return errorf(http.StatusUnprocessableEntity, "invalid expectedChecksum: it must be a SHA-512 as 128 hexadecimal characters")
	}
	switch in.SourceType {
	case apitypes.SourceDownload:
		u, err := url.Parse(strings.TrimSpace(in.Parameters["url"]))
		if in.Parameters["url"] == "" {
			return errorf(http.StatusUnprocessableEntity, "download URL is not provided: set parameters.url to an http or https URL")
		}
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errorf(http.StatusUnprocessableEntity, "invalid download URL %q: use an http or https URL", in.Parameters["url"])
		}
	case apitypes.SourceUpload:
	case "":
		return errorf(http.StatusUnprocessableEntity, "sourceType is required: one of download, upload, restore")
	default:
		// The real server also takes "restore" with parameters naming a
		// backup; the fake creates restores only through RestoreBackup.
		return errorf(http.StatusUnprocessableEntity, "sourceType %q is not supported by the fake: use download or upload (or restore a backup)", in.SourceType)
	}
	if in.MinNumberOfCopies < 0 {
		return errorf(http.StatusUnprocessableEntity, "minNumberOfCopies %d must be at least 1 (0 means the default)", in.MinNumberOfCopies)
	}
	switch in.DataEngine {
	case "":
		in.DataEngine = apitypes.DataEngineV1
	case apitypes.DataEngineV1, apitypes.DataEngineV2:
	default:
		return errorf(http.StatusUnprocessableEntity, "invalid data engine %q: use v1 or v2", in.DataEngine)
	}
	if in.Secret != "" || in.SecretNamespace != "" {
		return errorf(http.StatusUnprocessableEntity, "encrypted backing images (secret, secretNamespace) are not supported")
	}
	if slices.Contains(in.NodeSelector, "") || slices.Contains(in.DiskSelector, "") {
		return errorf(http.StatusUnprocessableEntity, "diskSelector and nodeSelector must not contain empty tags")
	}
	return nil
}

// parsePoll reads a poll interval as seconds or a Go duration and renders
// it as the server does ("5m0s"); empty is 300 s.
func parsePoll(v string) (string, *httpError) {
	v = strings.TrimSpace(v)
	if v == "" {
		return (300 * time.Second).String(), nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return (time.Duration(n) * time.Second).String(), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return (d / time.Second * time.Second).String(), nil
	}
	return "", errorf(http.StatusUnprocessableEntity, "invalid backup target polling interval %q: give seconds (300) or a duration (5m0s)", v)
}

var targetSchemes = []string{"s3", "azblob", "nfs", "cifs", "file"}

// checkTargetURL is a 422 for a non-empty URL of an unknown scheme.
func checkTargetURL(raw string) *httpError {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "invalid backup target URL: %v", err)
	}
	if !slices.Contains(targetSchemes, u.Scheme) {
		return errorf(http.StatusUnprocessableEntity, "unsupported backup target scheme %q, must be one of %s", u.Scheme, strings.Join(targetSchemes, ", "))
	}
	return nil
}

var secretKeyRegexp = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// checkSecretInput validates a secret as the real API does; its messages
// never include a value.
func checkSecretInput(in apitypes.SecretCreateInput) *httpError {
	if err := checkName("secret", in.Name, maxName); err != nil {
		return err
	}
	if len(in.Data) == 0 {
		return errorf(http.StatusUnprocessableEntity, "secret %s has no data: give data as {\"KEY\": \"value\"}", in.Name)
	}
	for k, v := range in.Data {
		if !secretKeyRegexp.MatchString(k) {
			return errorf(http.StatusUnprocessableEntity, "secret key %q is invalid: use letters, digits, '_', '-' or '.'", k)
		}
		if k != "AWS_CERT" && k != "AZBLOB_CERT" && v != strings.TrimSpace(v) {
			return errorf(http.StatusUnprocessableEntity, "the value of secret key %s has leading or trailing spaces or newlines; remove them", k)
		}
	}
	return nil
}
