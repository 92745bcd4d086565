package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/client"
	"github.com/plinth-storage/plinth/internal/client/clienttest"
)

// testEnv is a fake server and an Env talking to it with captured output.
type testEnv struct {
	fake     *clienttest.Fake
	env      *Env
	out, err *bytes.Buffer
}

func newTestEnv(t *testing.T, output string) *testEnv {
	t.Helper()
	f := clienttest.New(t)
	te := &testEnv{fake: f, out: &bytes.Buffer{}, err: &bytes.Buffer{}}
	te.env = &Env{Client: client.New(f.URL, client.WithTimeout(10*time.Second)), Out: te.out, Err: te.err,
		Output: output, PollInterval: time.Millisecond, Stdin: strings.NewReader("")}
	return te
}

// columnsAligned checks that every line of a table has its cells starting
// at the same offsets as the header's.
func columnsAligned(t *testing.T, table string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	starts := cellStarts(lines[0])
	for _, l := range lines[1:] {
		got := cellStarts(l)
		if len(got) != len(starts) {
			t.Fatalf("row %q has %d cells, header %d:\n%s", l, len(got), len(starts), table)
		}
		for i := range got {
			if got[i] != starts[i] {
				t.Fatalf("column %d of %q starts at %d, header at %d:\n%s", i, l, got[i], starts[i], table)
			}
		}
	}
}

// cellStarts finds where cells begin: after a run of two or more spaces
// (tabwriter padding), since cells themselves hold single spaces.
func cellStarts(line string) []int {
	starts := []int{0}
	for i := 2; i < len(line); i++ {
		if line[i] != ' ' && line[i-1] == ' ' && line[i-2] == ' ' {
			starts = append(starts, i)
		}
	}
	return starts
}
