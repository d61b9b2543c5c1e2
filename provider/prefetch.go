package provider

import (
	"context"
	"errors"
	"time"

	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// datasetPrefetcher downloads a dataset's file to disk ahead of its load
// (jobexec.ChainResolver).
type datasetPrefetcher interface {
	PrefetchDataset(ctx context.Context, datasetID, version uint64) (release func(), err error)
}

// Defaults of Agent.cacheRetry and Agent.cacheWait.
const (
	defaultCacheRetry = 2 * time.Second
	defaultCacheWait  = 2 * time.Minute
)

// prefetch downloads a routed job's dataset to disk, in a goroutine of its
// own that holds no fetch slot, then queues the job for one (its count in
// fetches_in_flight passes along), whose load reads the file from disk
// (held there until then). A job without a dataset, or an agent whose
// source cannot prefetch (no disk cache), queues at once and its load
// downloads. A failed download fails the job's inputs, as a failed load
// does, and is tried again later (inputsFailed); it is never left to the
// load in a slot, where a server that refuses the download and trickles
// the load would hold the slots again
// (TestAttackServerRefusesTheDownloadTricklesTheLoad), nor is a download
// that found no room on disk (TestAttackFullCacheFallbackTricklesTheLoad):
// it waits for room (download).
func (a *Agent) prefetch(ctx context.Context, job computetypes.Job) {
	p, ok := a.cfg.MLP.(datasetPrefetcher)
	ds := fetchedDataset(job)
	if !ok || ds == 0 {
		a.launch(ctx, a.fetches.push(job, a.cfg.Fetchers, a.fetchesPerRequester()), &job.Id)
		return
	}
	a.fetches.wg.Add(1)
	go func() {
		defer a.fetches.wg.Done()
		start := time.Now()
		release, err := a.download(ctx, p, job, ds)
		a.metrics.DownloadSeconds.Observe(time.Since(start).Seconds())
		switch {
		case ctx.Err() != nil:
			a.metrics.Fetching.Dec()
			if release != nil {
				release()
			}
		case err == nil || errors.Is(err, jobexec.ErrNoDiskCache):
			if release != nil {
				a.fetches.hold(job.Id, release) // until its load
			}
			a.launch(ctx, a.fetches.push(job, a.cfg.Fetchers, a.fetchesPerRequester()), &job.Id)
		default:
			a.metrics.Fetching.Dec()
			a.finish(ctx, execResult{id: job.Id, err: err, inputs: true})
		}
	}()
}

// download prefetches job's dataset ds, waiting for room while the disk
// cache has none (ErrCacheFull, or a write that failed on this host:
// ErrLocalWrite), trying every cacheRetry for up to cacheWait: room comes
// back as loads release their files, jobs end and files age out.
func (a *Agent) download(ctx context.Context, p datasetPrefetcher, job computetypes.Job, ds uint64) (func(), error) {
	retry, wait := a.cacheRetry, a.cacheWait
	if retry <= 0 {
		retry = defaultCacheRetry
	}
	if wait <= 0 {
		wait = defaultCacheWait
	}
	until := time.Now().Add(wait)
	for logged := false; ; logged = true {
		release, err := p.PrefetchDataset(ctx, ds, job.DatasetVersion)
		if !errors.Is(err, jobexec.ErrCacheFull) && !errors.Is(err, jobexec.ErrLocalWrite) || time.Now().After(until) {
			return release, err
		}
		if !logged {
			a.log.Warn("no room on disk for a won job's dataset; waiting for room", "job", job.Id, "dataset", ds, "err", err)
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
