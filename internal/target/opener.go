package target

import (
	"context"
	"net/url"
)

// Opener opens a target from its parsed URL and credential secret (the
// secret's keys are Longhorn's, such as AWS_ACCESS_KEY_ID). An Opener only
// builds the driver; it must not contact the server, so a target that is
// down can still be opened and report its state through Check.
type Opener func(ctx context.Context, u *url.URL, secret map[string]string) (Target, error)
