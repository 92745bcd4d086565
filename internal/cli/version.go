package cli

import (
	"fmt"
	"io"
	"runtime"
)

// Version prints the build's version (set with -ldflags) and Go version.
func Version(w io.Writer, version string) error {
	_, err := fmt.Fprintf(w, "plinth %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
