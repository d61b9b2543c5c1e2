package provider

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the agent's Prometheus metrics, served at /metrics.
type Metrics struct {
	Registry         *prometheus.Registry
	BidsCommitted    prometheus.Counter
	BidsRevealed     prometheus.Counter
	JobsExecuted     prometheus.Counter
	ResultsSubmitted prometheus.Counter
	ChunksServed     prometheus.Counter
	ExecSeconds      prometheus.Histogram
}

// NewMetrics registers the agent's metrics in a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry:         prometheus.NewRegistry(),
		BidsCommitted:    prometheus.NewCounter(prometheus.CounterOpts{Name: "aichain_provider_bids_committed_total", Help: "Sealed bids committed."}),
		BidsRevealed:     prometheus.NewCounter(prometheus.CounterOpts{Name: "aichain_provider_bids_revealed_total", Help: "Bids revealed."}),
		JobsExecuted:     prometheus.NewCounter(prometheus.CounterOpts{Name: "aichain_provider_jobs_executed_total", Help: "Awarded jobs executed."}),
		ResultsSubmitted: prometheus.NewCounter(prometheus.CounterOpts{Name: "aichain_provider_results_submitted_total", Help: "Results submitted on chain."}),
		ChunksServed:     prometheus.NewCounter(prometheus.CounterOpts{Name: "aichain_provider_chunks_served_total", Help: "Chunks served with proofs."}),
		ExecSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aichain_provider_exec_seconds", Help: "Wall time of a job's execution.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}),
	}
	m.Registry.MustRegister(m.BidsCommitted, m.BidsRevealed, m.JobsExecuted, m.ResultsSubmitted, m.ChunksServed, m.ExecSeconds)
	return m
}
