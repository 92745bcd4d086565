package settings

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// ParseInterval reads a duration setting: a whole number of hours ("168")
// or a Go duration ("30m", "2s"). It refuses negative values.
func ParseInterval(value string) (time.Duration, error) {
	var d time.Duration
	if h, err := strconv.Atoi(value); err == nil {
		d = time.Duration(h) * time.Hour
		if h > int(1<<62/int64(time.Hour)) {
			return 0, fmt.Errorf("%d hours is too long", h)
		}
	} else if d, err = time.ParseDuration(value); err != nil {
		return 0, fmt.Errorf("want a number of hours (168) or a duration such as 30m or 90s, got %q", value)
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative, got %q", value)
	}
	return d, nil
}

// ScrubInterval returns the scrub interval setting (0: the background
// scrub is off), its default if the stored value is somehow invalid.
func (s *Store) ScrubInterval(ctx context.Context) time.Duration {
	v, err := s.Get(ctx, ScrubInterval)
	if d, perr := ParseInterval(v); err == nil && perr == nil {
		return d
	}
	def, _ := Lookup(ScrubInterval)
	d, _ := ParseInterval(def.Default)
	return d
}
