package sidecar

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the sidecar's Prometheus metrics.
type Metrics struct {
	Registry *prometheus.Registry
	Verdicts *prometheus.CounterVec
	Latency  prometheus.Histogram
	Pending  prometheus.Gauge
	Backend  *prometheus.GaugeVec
	Served   prometheus.Counter
}

// NewMetrics registers the sidecar's metrics in a fresh registry.
func NewMetrics(backend string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aichain_sidecar_verdicts_total", Help: "Verdicts reached, by kind.",
		}, []string{"verdict"}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aichain_sidecar_verify_seconds", Help: "Time to reach a job's verdict (fetch, proof, recompute).",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 12),
		}),
		Pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aichain_sidecar_pending_jobs", Help: "Jobs under verification at the last poll.",
		}),
		Backend: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "aichain_sidecar_backend_info", Help: "The backend recomputing chunks (value 1).",
		}, []string{"backend"}),
		Served: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aichain_sidecar_verdict_requests_total", Help: "Verdict requests served to the node.",
		}),
	}
	m.Backend.WithLabelValues(backend).Set(1)
	m.Registry.MustRegister(m.Verdicts, m.Latency, m.Pending, m.Backend, m.Served)
	return m
}
