package backingimage

import (
	"context"
	"math"
	"time"

	"github.com/plinth-storage/plinth/internal/settings"
)

// MaxImageBytes is the largest image accepted, in bytes, from the setting
// backing-image-max-size-gib (saturating instead of overflowing).
func MaxImageBytes(ctx context.Context, st *settings.Store) int64 {
	gib := int64(st.Int(ctx, settings.MaxImageSizeGiB))
	if gib > math.MaxInt64>>30 {
		return math.MaxInt64
	}
	return gib << 30
}

// UploadIdleTimeout is how long an upload may receive nothing before it
// fails, from the setting backing-image-upload-idle-timeout.
func UploadIdleTimeout(ctx context.Context, st *settings.Store) time.Duration {
	s := int64(st.Int(ctx, settings.UploadIdleTimeout))
	if s > math.MaxInt64/int64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(s) * time.Second
}
