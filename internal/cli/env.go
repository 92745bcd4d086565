// Package cli holds the logic of plinth's client commands: each command is
// an options struct and a function that takes a context, an *Env (the API
// client and where to write) and the options. cmd/plinth only wires flags
// to these, so everything here is testable against a fake API server.
//
// Results go to Env.Out (tables for people, JSON with -o json for
// scripts); progress bars and notes go to Env.Err so they never mix with
// results.
package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/plinth-storage/plinth/internal/client"
)

// Output formats.
const (
	OutputTable = "table"
	OutputJSON  = "json"
)

// Env is what every client command runs with.
type Env struct {
	Client *client.Client
	// Out receives results; Err receives progress bars and notes.
	Out, Err io.Writer
	// Output is OutputTable or OutputJSON.
	Output string
	// Progress draws progress bars on Err.
	Progress bool
	// PollInterval is how often --wait polls (default 1 s).
	PollInterval time.Duration
	// Stdin is read by options that take "-" (secret values, disk files).
	Stdin io.Reader
}

// GlobalOptions are the flags every client command shares.
type GlobalOptions struct {
	Server  string
	Output  string
	Timeout time.Duration
	// Progress forces progress bars on or off when ProgressSet; otherwise
	// they are drawn only when stdout is a terminal.
	Progress    bool
	ProgressSet bool
}

// NewEnv builds the Env for a command from the global options, the API
// token (from PLINTH_TOKEN; empty for none) and the process's streams.
func NewEnv(g GlobalOptions, token string, stdin io.Reader, stdout, stderr io.Writer) (*Env, error) {
	if g.Output != OutputTable && g.Output != OutputJSON {
		return nil, fmt.Errorf("unknown output format %q: use table or json", g.Output)
	}
	opts := []client.Option{client.WithTimeout(g.Timeout), client.WithUserAgent("plinth-cli")}
	if token != "" {
		opts = append(opts, client.WithToken(token))
	}
	progress := IsTerminal(stdout)
	if g.ProgressSet {
		progress = g.Progress
	}
	return &Env{
		Client: client.New(g.Server, opts...), Out: stdout, Err: stderr, Output: g.Output,
		Progress: progress, PollInterval: time.Second, Stdin: stdin,
	}, nil
}

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (e *Env) json() bool { return e.Output == OutputJSON }

// note writes a line for people to Err, so that Out holds only results.
func (e *Env) note(format string, args ...any) {
	fmt.Fprintf(e.Err, format+"\n", args...)
}
