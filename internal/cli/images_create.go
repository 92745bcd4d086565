package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// ImageCreateOptions are the options of `plinth backing-image create`.
// Exactly one of URL and UploadFile is set.
type ImageCreateOptions struct {
	Name         string
	URL          string
	UploadFile   string
	Checksum     string
	DataEngine   string
	MinCopies    int
	DiskSelector []string
	NodeSelector []string
	// Wait blocks until a copy is ready, and fails with the server's
	// message if every copy failed.
	Wait bool
}

// ImageCreate creates a backing image from a URL or a local file.
func ImageCreate(ctx context.Context, env *Env, o ImageCreateOptions) error {
	if (o.URL == "") == (o.UploadFile == "") {
		return errors.New("give exactly one source: --url URL or --upload FILE")
	}
	in := apitypes.BackingImageCreateInput{
		Name: o.Name, ExpectedChecksum: o.Checksum, MinNumberOfCopies: o.MinCopies,
		DataEngine: o.DataEngine, DiskSelector: o.DiskSelector, NodeSelector: o.NodeSelector,
		Parameters: map[string]string{},
	}
	var file *os.File
	if o.URL != "" {
		in.SourceType, in.Parameters["url"] = apitypes.SourceDownload, o.URL
	} else {
		f, err := os.Open(o.UploadFile)
		if err != nil {
			return fmt.Errorf("open image file to upload: %w", err)
		}
		defer f.Close()
		file, in.SourceType = f, apitypes.SourceUpload
	}
	bi, err := env.Client.CreateBackingImage(ctx, in)
	if err != nil {
		return err
	}
	if file != nil {
		if err := uploadFile(ctx, env, o.Name, file); err != nil {
			return fmt.Errorf("%w\nbacking image %s exists and waits for its data: retry with `plinth bi upload %s %s` or delete it",
				err, o.Name, o.Name, o.UploadFile)
		}
	}
	if !o.Wait {
		if env.json() {
			return printJSON(env.Out, bi)
		}
		fmt.Fprintf(env.Out, "backing image %s created\n", bi.Name)
		return nil
	}
	return finishWait(ctx, env, o.Name)
}

// finishWait waits for an image and prints it as the command's result.
func finishWait(ctx context.Context, env *Env, name string) error {
	bi, err := waitImage(ctx, env, name)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, bi)
	}
	fmt.Fprintf(env.Out, "backing image %s is ready (%s)\n", bi.Name, humanSize(bi.Size))
	return nil
}
