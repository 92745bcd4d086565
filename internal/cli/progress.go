package cli

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/plinth-storage/plinth/internal/client"
)

// transferBar returns a ProgressFunc that draws a byte progress bar on
// Err, and a finish func to call once the transfer ends (either way). With
// progress off both are no-ops, so callers never branch on it.
func (e *Env) transferBar(desc string, total int64) (client.ProgressFunc, func()) {
	if !e.Progress {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(e.Err),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	)
	return func(done, _ int64) { _ = bar.Set64(done) }, func() {
		_ = bar.Exit()
		fmt.Fprintln(e.Err)
	}
}

// percentBar returns an update func (percent, state) drawing a 0-100 bar
// described by desc and the state, and a finish func.
func (e *Env) percentBar(desc string) (func(percent int, state string), func()) {
	if !e.Progress {
		return func(int, string) {}, func() {}
	}
	bar := progressbar.NewOptions(100,
		progressbar.OptionSetWriter(e.Err),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
	)
	return func(percent int, state string) {
			bar.Describe(fmt.Sprintf("%s (%s)", desc, state))
			_ = bar.Set(percent)
		}, func() {
			_ = bar.Exit()
			fmt.Fprintln(e.Err)
		}
}
