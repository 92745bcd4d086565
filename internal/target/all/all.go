// Package all is the explicit registry of target drivers: it maps backup
// target URL schemes to drivers, validates URLs with Longhorn's rules and
// composes the decorators every target gets (Wrap). No driver registers
// itself; adding one is one line in drivers.
package all

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/azblob"
	"github.com/plinth-storage/plinth/internal/target/cifs"
	"github.com/plinth-storage/plinth/internal/target/file"
	"github.com/plinth-storage/plinth/internal/target/nfs"
	"github.com/plinth-storage/plinth/internal/target/s3"
)

// driver is one registry entry.
type driver struct {
	open target.Opener
	// params are the URL query parameters the driver accepts; any other
	// query parameter is an error.
	params []string
	// validate checks the driver-specific URL shape without a secret.
	validate func(*url.URL) error
}

// drivers maps each scheme this build can open to its driver.
var drivers = map[string]driver{
	file.Scheme: {open: file.Open, params: file.Params, validate: func(u *url.URL) error { _, err := file.RootFromURL(u); return err }},
	s3.Scheme:   {open: s3.Open, params: s3.Params, validate: func(u *url.URL) error { _, _, _, err := s3.ParseURL(u); return err }},
	"nfs":       {open: opener(nfs.New), params: []string{"nfsOptions", "port", "mountport"}, validate: needHostAndPath},
	"cifs":      {open: opener(cifs.New), params: []string{"port", "cifsOptions"}, validate: needHostAndPath},
	"azblob":    {open: opener(azblob.New), params: nil, validate: needHost},
}

// opener adapts a driver constructor returning its concrete type.
func opener[T target.Target](newFn func(context.Context, *url.URL, map[string]string) (T, error)) target.Opener {
	return func(ctx context.Context, u *url.URL, secret map[string]string) (target.Target, error) {
		t, err := newFn(ctx, u, secret)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
}

func needHost(u *url.URL) error {
	if u.Host == "" {
		return fmt.Errorf("the URL names no server or container")
	}
	return nil
}

func needHostAndPath(u *url.URL) error {
	if err := needHost(u); err != nil {
		return err
	}
	if strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("the URL names no export or share path")
	}
	return nil
}

// Schemes are the backup target URL schemes plinth accepts: Longhorn's
// four plus file for a local folder.
var Schemes = []string{"s3", "azblob", "nfs", "cifs", "file"}

// Open validates rawURL and opens it with its scheme's driver. The target
// is not contacted; call Check. Wrap the result with Wrap before use.
func Open(ctx context.Context, rawURL string, secret map[string]string) (target.Target, error) {
	u, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	d, ok := drivers[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("backup target scheme %s is not available in this build of plinth", u.Scheme)
	}
	t, err := d.open(ctx, u, secret)
	if err != nil {
		return nil, fmt.Errorf("open backup target %s: %w", u.Redacted(), err)
	}
	return t, nil
}

// ValidateURL checks rawURL with Longhorn's rules (known scheme; no "$"
// except for cifs and no "," in the path; s3 needs s3://bucket@region/path)
// plus plinth's: query parameters the driver does not declare are errors,
// and the driver's own URL shape must hold.
func ValidateURL(rawURL string) error {
	_, err := parse(rawURL)
	return err
}

func parse(rawURL string) (*url.URL, error) {
	if strings.TrimSpace(rawURL) == "" {
		return nil, fmt.Errorf("backup target URL is empty")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid backup target URL: %w", err)
	}
	if !slices.Contains(Schemes, u.Scheme) {
		return nil, fmt.Errorf("unsupported backup target scheme %q, must be one of %s", u.Scheme, strings.Join(Schemes, ", "))
	}
	if u.Scheme != "cifs" && strings.Contains(u.Path, "$") {
		return nil, fmt.Errorf("backup target URL %s: the path must not contain $ (only cifs share names may)", u.Redacted())
	}
	if strings.Contains(u.Path, ",") {
		return nil, fmt.Errorf("backup target URL %s: the path must not contain a comma", u.Redacted())
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("backup target URL %s: a #fragment is not allowed", u.Redacted())
	}
	if u.Scheme == "s3" && (u.User == nil || u.User.Username() == "" || u.Host == "") {
		return nil, fmt.Errorf("backup target URL %s: s3 URLs must have the form s3://bucket@region/path", u.Redacted())
	}
	d, registered := drivers[u.Scheme]
	for name := range u.Query() {
		if !slices.Contains(d.params, name) {
			return nil, fmt.Errorf("backup target URL %s: unknown parameter %q (accepted: %s)", u.Redacted(), name, accepted(d.params))
		}
	}
	if registered && d.validate != nil {
		if err := d.validate(u); err != nil {
			return nil, fmt.Errorf("backup target URL %s: %w", u.Redacted(), err)
		}
	}
	return u, nil
}

func accepted(params []string) string {
	if len(params) == 0 {
		return "none"
	}
	return strings.Join(params, ", ")
}
