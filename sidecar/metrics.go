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
	// PeerServed counts weights files sent to other sidecars, PeerWeights
	// those received from them (peers.go).
	PeerServed  prometheus.Counter
	PeerWeights prometheus.Counter
	// LoadPartialsDropped counts the paused model loads whose kept bytes
	// were dropped (loadbytes.go).
	LoadPartialsDropped prometheus.Counter
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
		PeerServed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aichain_sidecar_peer_weights_served_total", Help: "Model weights files sent to other validators' sidecars.",
		}),
		PeerWeights: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aichain_sidecar_peer_weights_received_total", Help: "Model weights files received from other validators' sidecars.",
		}),
		LoadPartialsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aichain_sidecar_model_load_partials_dropped_total",
			Help: "Paused model loads whose kept bytes were dropped, to make room in the loads' memory budget or past their time.",
		}),
	}
	m.Backend.WithLabelValues(backend).Set(1)
	m.Registry.MustRegister(m.Verdicts, m.Latency, m.Pending, m.Backend, m.Served, m.PeerServed, m.PeerWeights, m.LoadPartialsDropped)
	return m
}
