package provider

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the agent's Prometheus metrics, served on the metrics
// listener (never on the public chunk server).
type Metrics struct {
	Registry         *prometheus.Registry
	BidsCommitted    prometheus.Counter
	BidsRevealed     prometheus.Counter
	JobsWon          prometheus.Counter
	JobsExecuted     prometheus.Counter
	ExecFailures     prometheus.Counter
	ResultsSubmitted prometheus.Counter
	MissedReveals    prometheus.Counter
	Timeouts         prometheus.Counter
	Aborts           prometheus.Counter
	FailedTxs        prometheus.Counter
	SequenceResyncs  prometheus.Counter
	ChunksServed     prometheus.Counter
	ChunksDamaged    prometheus.Counter
	WeightsServed    prometheus.Counter
	Txs              *prometheus.CounterVec
	Msgs             *prometheus.CounterVec
	Skipped          *prometheus.CounterVec
	Refused          *prometheus.CounterVec
	Jobs             *prometheus.GaugeVec
	Height           prometheus.Gauge
	BlockSeconds     prometheus.Gauge
	ExecSeconds      prometheus.Histogram
	FetchSeconds     prometheus.Histogram
	DownloadSeconds  prometheus.Histogram
	Fetching         prometheus.Gauge
	FetchesWaiting   prometheus.Gauge
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: "aichain_provider_" + name, Help: help})
}

func counterVec(name, help, label string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aichain_provider_" + name, Help: help}, []string{label})
}

// NewMetrics registers the agent's metrics in a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry:         prometheus.NewRegistry(),
		BidsCommitted:    counter("bids_committed_total", "Sealed bids committed (in a block)."),
		BidsRevealed:     counter("bids_revealed_total", "Bids revealed (in a block)."),
		JobsWon:          counter("jobs_won_total", "Auctions won."),
		JobsExecuted:     counter("jobs_executed_total", "Awarded jobs executed."),
		ExecFailures:     counter("exec_failures_total", "Executions that failed."),
		ResultsSubmitted: counter("results_submitted_total", "Results submitted (in a block)."),
		MissedReveals:    counter("missed_reveals_total", "Committed bids whose reveal window passed unrevealed (deposit forfeited)."),
		Timeouts:         counter("timeouts_total", "Won jobs whose result was not in by the deadline."),
		Aborts:           counter("aborts_total", "Won jobs aborted (in a block) because their inputs could not be fetched."),
		FailedTxs:        counter("failed_txs_total", "Transactions that failed in their block."),
		SequenceResyncs:  counter("sequence_resyncs_total", "Sends the node refused for the account sequence, re-synced and sent again."),
		ChunksServed:     counter("chunks_served_total", "Chunks served with proofs."),
		ChunksDamaged:    counter("chunks_damaged_total", "Chunk requests refused because the chunk's bytes on disk no longer hash to its leaf (a damaged disk: the job's checks will find it unavailable)."),
		WeightsServed:    counter("weights_served_total", "Model weights files served to validators whose fetch from the model's uri failed."),
		Txs:              counterVec("txs_total", "Transactions sent, by kind (commit, reveal, result).", "kind"),
		Msgs:             counterVec("msgs_total", "Messages sent, by kind.", "kind"),
		Skipped:          counterVec("jobs_skipped_total", "Open jobs not bid on, by reason.", "reason"),
		Refused:          counterVec("requests_refused_total", "Chunk requests refused, by code.", "code"),
		Jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "aichain_provider_jobs", Help: "Jobs in the agent's store, by phase."},
			[]string{"phase"}),
		Height:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "aichain_provider_height", Help: "Latest block height seen."}),
		BlockSeconds: prometheus.NewGauge(prometheus.GaugeOpts{Name: "aichain_provider_block_seconds", Help: "Measured block interval."}),
		ExecSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aichain_provider_exec_seconds", Help: "Wall time of a job's execution.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}),
		FetchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aichain_provider_fetch_seconds", Help: "Wall time of fetching a won job's model and dataset, failed fetches included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}),
		DownloadSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aichain_provider_download_seconds", Help: "Wall time of downloading a won job's dataset to the disk cache ahead of its load, failed downloads included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}),
		Fetching: prometheus.NewGauge(prometheus.GaugeOpts{Name: "aichain_provider_fetches_in_flight",
			Help: "Won jobs whose inputs are being downloaded to disk (one per job) or loaded (at most --fetchers), or that are being read from the chain; many of them for long is a slow or hostile server."}),
		FetchesWaiting: prometheus.NewGauge(prometheus.GaugeOpts{Name: "aichain_provider_fetches_waiting",
			Help: "Won jobs waiting for a fetch slot (all busy, or their requester's half of them)."}),
	}
	m.Registry.MustRegister(m.BidsCommitted, m.BidsRevealed, m.JobsWon, m.JobsExecuted, m.ExecFailures, m.ResultsSubmitted, m.Aborts,
		m.MissedReveals, m.Timeouts, m.FailedTxs, m.ChunksServed, m.ChunksDamaged, m.WeightsServed, m.Txs, m.Msgs, m.Skipped, m.Refused, m.Jobs, m.Height,
		m.BlockSeconds, m.ExecSeconds, m.FetchSeconds, m.DownloadSeconds, m.Fetching, m.SequenceResyncs, m.FetchesWaiting)
	return m
}
