package backup

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// Metrics are the backup metrics: backups by state and target (read from
// the store at scrape time), finished backups, and blocks and bytes
// uploaded and reused.
type Metrics struct {
	finishedTotal *prometheus.CounterVec
	blocks        *prometheus.CounterVec
	bytes         *prometheus.CounterVec
}

// NewMetrics registers the backup metrics on reg.
func NewMetrics(reg prometheus.Registerer, backups *store.Kind[model.Backup]) *Metrics {
	m := &Metrics{
		finishedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plinth_backups_finished_total", Help: "Backups that finished, by target and outcome.",
		}, []string{"target", "outcome"}),
		blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plinth_backup_blocks_total", Help: "Backup blocks by target and what happened to them (uploaded, reused, zero).",
		}, []string{"target", "kind"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plinth_backup_bytes_total", Help: "Backup bytes by target: read from images and uploaded (encoded).",
		}, []string{"target", "kind"}),
	}
	reg.MustRegister(m.finishedTotal, m.blocks, m.bytes, &stateCollector{backups: backups})
	return m
}

func (m *Metrics) finished(target, outcome string, st backupstore.BackupStats) {
	if m == nil {
		return
	}
	m.finishedTotal.WithLabelValues(target, outcome).Inc()
	m.blocks.WithLabelValues(target, "uploaded").Add(float64(st.Uploaded))
	m.blocks.WithLabelValues(target, "reused").Add(float64(st.Deduplicated))
	m.blocks.WithLabelValues(target, "zero").Add(float64(st.ZeroBlocks))
	m.bytes.WithLabelValues(target, "read").Add(float64(st.BytesRead))
	m.bytes.WithLabelValues(target, "uploaded").Add(float64(st.BytesUploaded))
}

var backupsDesc = prometheus.NewDesc("plinth_backup_backing_images", "Backup backing images by target and state.", []string{"target", "state"}, nil)

type stateCollector struct {
	backups *store.Kind[model.Backup]
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- backupsDesc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	list, _, err := c.backups.List(context.Background())
	if err != nil {
		return
	}
	type key struct{ target, state string }
	counts := map[key]int{}
	for _, b := range list {
		counts[key{b.Value.BackupTargetName, b.Value.Status.State}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(backupsDesc, prometheus.GaugeValue, float64(n), k.target, k.state)
	}
}
