package all

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/file"
	"github.com/plinth-storage/plinth/internal/target/targettest"
)

// The decorators Wrap adds must keep the driver's behaviour, optional
// interfaces (target.DirRemover) included: the backup store only sees
// wrapped targets.
func TestWrappedFileTargetConforms(t *testing.T) {
	reg := prometheus.NewRegistry()
	targettest.Run(t, func(t *testing.T) target.Target { return Wrap(file.New(t.TempDir()), reg) })
}
