package server

import (
	"context"
	"fmt"
	"github.com/plinth-storage/plinth/internal/testenv"
	"strings"
	"testing"
	"time"
)

// A --default-backup-target on a system directory stops the daemon at start
// with a message naming the flag, before any folder is created.
func TestDefaultTargetInSystemDirIsRefused(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := Run(ctx, Options{DataDir: t.TempDir(), Listen: addr, NodeID: "n1", LogLevel: "error",
		DefaultBackupTarget: "file:///etc/plinth-backups"})
	if err == nil || !strings.Contains(err.Error(), "--default-backup-target") {
		t.Fatalf("Run with a default target under /etc: got %v, want an error naming --default-backup-target", err)
	}
}
