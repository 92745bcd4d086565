package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

// ImageList prints every backing image.
func ImageList(ctx context.Context, env *Env) error {
	images, err := env.Client.ListBackingImages(ctx)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, images)
	}
	t := newTable(env.Out, "NAME", "STATE", "SIZE", "VIRTUAL SIZE", "SOURCE", "ENGINE", "COPIES", "AGE")
	now := time.Now()
	for i := range images {
		bi := &images[i]
		s := client.SummarizeBackingImage(bi)
		t.row(bi.Name, stateText(s), humanSize(bi.Size), humanSize(bi.VirtualSize), bi.SourceType, bi.DataEngine,
			fmt.Sprintf("%d/%d", s.Ready, max(bi.MinNumberOfCopies, s.Copies)), age(bi.Created, now))
	}
	return t.flush()
}

// stateText is the state with its percentage while in progress.
func stateText(s client.ImageSummary) string {
	if s.State == apitypes.StateInProgress {
		return fmt.Sprintf("%s %d%%", s.State, s.Progress)
	}
	return s.State
}

// ImageGet prints one backing image and its copies.
func ImageGet(ctx context.Context, env *Env, name string) error {
	bi, err := env.Client.GetBackingImage(ctx, name)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, bi)
	}
	return printImage(env, bi)
}

func printImage(env *Env, bi *apitypes.BackingImage) error {
	s := client.SummarizeBackingImage(bi)
	err := details(env.Out,
		"Name", bi.Name, "UUID", bi.UUID, "State", stateText(s), "Source", sourceText(bi),
		"Data engine", bi.DataEngine, "Size", sizeText(bi.Size), "Virtual size", sizeText(bi.VirtualSize),
		"Min copies", strconv.Itoa(bi.MinNumberOfCopies), "Disk selector", strings.Join(bi.DiskSelector, ","),
		"Expected checksum", bi.ExpectedChecksum, "Current checksum", bi.CurrentChecksum, "Created", bi.Created)
	if err != nil || len(bi.DiskFileStatusMap) == 0 {
		return err
	}
	fmt.Fprintln(env.Out, "\nCopies:")
	disks := make([]string, 0, len(bi.DiskFileStatusMap))
	for d := range bi.DiskFileStatusMap {
		disks = append(disks, d)
	}
	sort.Strings(disks)
	t := newTable(env.Out, "DISK UUID", "STATE", "PROGRESS", "MESSAGE")
	for _, d := range disks {
		f := bi.DiskFileStatusMap[d]
		if f == nil {
			continue
		}
		t.row(d, f.State, fmt.Sprintf("%d%%", f.Progress), f.Message)
	}
	return t.flush()
}

func sizeText(n int64) string {
	if n <= 0 {
		return "-"
	}
	return fmt.Sprintf("%s (%d bytes)", humanSize(n), n)
}

func sourceText(bi *apitypes.BackingImage) string {
	keys := make([]string, 0, len(bi.Parameters))
	for k := range bi.Parameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{bi.SourceType}
	for _, k := range keys {
		parts = append(parts, k+"="+bi.Parameters[k])
	}
	return strings.Join(parts, " ")
}

// ImageDelete deletes backing images, stopping at the first failure.
func ImageDelete(ctx context.Context, env *Env, names []string) error {
	for _, n := range names {
		if err := env.Client.DeleteBackingImage(ctx, n); err != nil {
			return err
		}
		fmt.Fprintf(env.Out, "backing image %s deleted\n", n)
	}
	return nil
}

// ImageCleanup removes an image's copies on the given disks (UUIDs).
func ImageCleanup(ctx context.Context, env *Env, name string, disks []string) error {
	if len(disks) == 0 {
		return fmt.Errorf("name at least one --disk UUID whose copy to remove (see `plinth bi get %s`)", name)
	}
	bi, err := env.Client.CleanupBackingImage(ctx, name, disks)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, bi)
	}
	return printImage(env, bi)
}

// ImageUpdateCopies sets how many copies an image keeps.
func ImageUpdateCopies(ctx context.Context, env *Env, name string, copies int) error {
	if copies < 1 {
		return fmt.Errorf("minimum number of copies must be at least 1, got %d", copies)
	}
	bi, err := env.Client.UpdateMinNumberOfCopies(ctx, name, copies)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, bi)
	}
	fmt.Fprintf(env.Out, "backing image %s keeps at least %d copies\n", bi.Name, bi.MinNumberOfCopies)
	return nil
}

// waitImage waits until a copy of the image is ready, drawing a bar, and
// returns the image or the failure with the server's message.
func waitImage(ctx context.Context, env *Env, name string) (*apitypes.BackingImage, error) {
	update, finish := env.percentBar(name)
	defer finish()
	poll := client.Poll[*apitypes.BackingImage]{Interval: env.PollInterval, Observe: func(bi *apitypes.BackingImage) {
		s := client.SummarizeBackingImage(bi)
		update(s.Progress, s.State)
	}}
	return env.Client.WaitBackingImage(ctx, name, client.BackingImageReady, poll)
}
