package v2

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// crashChildEnv, when set to a disk path, makes TestKilledRestore the child
// process that restores into that disk until it is killed.
const crashChildEnv = "PLINTH_V2_CRASH_CHILD"

var crashID = CopyID{Name: "killed", UUID: "uuid-k"}

// expectCleanedUp reopens path, checks that CleanupIncomplete removes
// exactly the volume of crashID and that afterwards the whole store is
// free and the offline check finds no leak.
func expectCleanedUp(t *testing.T, path string) {
	t.Helper()
	d := mustOpenDisk(t, path, 0)
	list := d.ListCopies()
	if len(list) != 1 || list[0].Problem == "" || list[0].Busy {
		t.Fatalf("after the crash the disk lists %+v, want one copy that is not ready", list)
	}
	_, err := d.CreateRandom(crashID)
	expectErr(t, err, ErrBusy, "a new writer before CleanupIncomplete")
	removed, err := d.Cleanup()
	if err != nil || len(removed) != 1 || removed[0] != crashID.String() {
		t.Fatalf("CleanupIncomplete removed %v, %v", removed, err)
	}
	max, avail, _ := d.Capacity()
	if avail != max {
		t.Fatalf("after cleanup %d of %d bytes are available", avail, max)
	}
	checkClean(t, d)
}

// TestAbandonedRandomWriter: a restore that synced some blocks and was
// never committed or aborted (the disk closed under it) leaves a volume
// that is not ready; reopening lists it, and CleanupIncomplete removes it
// without leaking a cluster.
func TestAbandonedRandomWriter(t *testing.T) {
	d, path := testDisk(t, 128<<20)
	w, err := d.CreateRandom(crashID)
	if err != nil {
		t.Fatal(err)
	}
	restoreBlocks(t, w, 10*cs, map[int64][]byte{1: randomBytes(1, int(cs)), 7: randomBytes(2, int(cs))})
	if removed, err := d.Cleanup(); err != nil || len(removed) != 0 {
		t.Fatalf("CleanupIncomplete removed a live writer's volume: %v, %v", removed, err)
	}
	if _, err := w.WriteAt(randomBytes(3, int(cs)), 2*cs); err != nil { // not synced
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	expectCleanedUp(t, path)
}

// TestKilledRestore kills (SIGKILL) a process in the middle of a restore
// into v2, after some blocks were synced and while others were not: the
// offline check passes, and after reopening CleanupIncomplete removes the
// unfinished copy with no cluster leaked.
func TestKilledRestore(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "block.img")
	d := mustOpenDisk(t, path, 128<<20)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledRestore$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "writing\n" {
		t.Fatalf("child process said %q, %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	r, err := volstore.Check(path)
	if err != nil || !r.OK() {
		t.Fatalf("Check after the kill: %v\n%v", err, r)
	}
	expectCleanedUp(t, path)
}

// crashChild restores into the disk at path: some blocks synced, then
// writes without end until the parent kills it.
func crashChild(path string) {
	d, err := OpenDisk(path, 0, stageDirOf(path))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w, err := d.CreateRandom(crashID)
	if err == nil {
		err = w.Prepare(40 * cs)
	}
	for i := int64(0); err == nil && i < 5; i++ {
		_, err = w.WriteAt(randomBytes(uint64(i), int(cs)), i*2*cs)
	}
	if err == nil {
		err = w.Sync()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("writing")
	for i := int64(0); ; i = (i + 1) % 40 {
		if _, err := w.WriteAt(randomBytes(uint64(i), int(cs)), i*cs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		time.Sleep(time.Millisecond)
	}
}
