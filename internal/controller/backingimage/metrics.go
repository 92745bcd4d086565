package backingimage

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// Metrics are the backing-image metrics: bytes moved into copies by
// direction, and copies by state (read from the store at scrape time).
type Metrics struct {
	bytes *prometheus.CounterVec
}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer, bis *store.Kind[model.BackingImage]) *Metrics {
	m := &Metrics{bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plinth_bytes_transferred_total",
		Help: "Bytes written into backing-image copies, by direction (download, upload, copy, restore).",
	}, []string{"direction"})}
	reg.MustRegister(m.bytes, &copyCollector{bis: bis})
	return m
}

func (m *Metrics) addBytes(direction string, n int64) {
	if m != nil {
		m.bytes.WithLabelValues(direction).Add(float64(n))
	}
}

var copiesDesc = prometheus.NewDesc("plinth_backing_image_copies", "Backing-image copies by state.", []string{"state"}, nil)

type copyCollector struct {
	bis *store.Kind[model.BackingImage]
}

func (c *copyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- copiesDesc }

func (c *copyCollector) Collect(ch chan<- prometheus.Metric) {
	list, _, err := c.bis.List(context.Background())
	if err != nil {
		return
	}
	counts := map[string]int{"pending": 0, "in-progress": 0, "ready": 0, "failed": 0, "unknown": 0}
	for _, bi := range list {
		for _, cp := range bi.Value.Status.Copies {
			counts[cp.State]++
		}
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(copiesDesc, prometheus.GaugeValue, float64(n), state)
	}
}
