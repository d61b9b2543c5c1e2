package provider

import (
	"context"
	"errors"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/types/common"
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
		a.launch(ctx, a.fetches.push(job, a.cfg.Fetchers, a.fetchesPerRequester(), &a.ready), &job.Id)
		return
	}
	a.fetches.wg.Add(1)
	go func() {
		defer a.fetches.wg.Done()
		start := time.Now()
		jctx, live := a.startFetch(ctx, job.Id) // cut at the job's abort point (inputcut.go)
		if !live {
			a.metrics.Fetching.Dec()
			return
		}
		release, err := a.download(jctx, p, job, ds)
		err = fetchErr(jctx, err)
		a.metrics.DownloadSeconds.Observe(time.Since(start).Seconds())
		if err != nil && !errors.Is(err, jobexec.ErrNoDiskCache) {
			a.fetches.fetched(job.Id)
		}
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
			a.launch(ctx, a.fetches.push(job, a.cfg.Fetchers, a.fetchesPerRequester(), &a.ready), &job.Id)
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

// datasetRoomer is a source whose disk cache reports its room for the
// datasets of won jobs (jobexec.ChainResolver).
type datasetRoomer interface {
	DatasetRoom(ctx context.Context, needs []jobexec.DatasetNeed) (int64, bool)
}

// admitDatasetRoom refuses ("disk") a job the agent would hold without
// room in the disk cache for the datasets of the jobs it holds and has not
// executed, its own among them (jobexec.DatasetRoom: the budget less the
// files kept, held and written, each distinct dataset counted once and not
// at all when the cache already counts its file), and returns the bytes
// its record reserves. It runs after the job's weights are pinned, for
// every job: a job without a dataset takes no room but its weights do
// (TestAttackDatasetlessPinsEatAnAdmittedDatasetsRoom). A won job's
// dataset is loaded only from disk: bid on and won without room, its
// download would wait, its inputs fail and the job be aborted past half
// its window, the validators finding the inputs available and forfeiting
// the collateral (TestWonDatasetLargerThanTheRoomIsNotBidOn); before
// downloads went to disk such a dataset was loaded into memory.
func (a *Agent) admitDatasetRoom(ctx context.Context, job computetypes.Job, s jobexec.BidShape) (uint64, string) {
	src, ok := a.cfg.MLP.(datasetRoomer)
	if !ok {
		return 0, ""
	}
	var needs []jobexec.DatasetNeed
	for id, r := range a.recs {
		if id != job.Id && r.Phase < PhaseExecuted && !r.Abort && r.DatasetBytes > 0 {
			needs = append(needs, jobexec.DatasetNeed{DatasetRef: jobexec.DatasetRef{ID: r.DatasetID, Version: r.DatasetVersion},
				Bytes: r.DatasetBytes})
		}
	}
	var need uint64
	if s.DatasetID != 0 {
		need = common.SatAdd(s.InputBytes, jobexec.DatasetHeaderBytes)
		needs = append(needs, jobexec.DatasetNeed{DatasetRef: jobexec.DatasetRef{ID: s.DatasetID, Version: job.DatasetVersion},
			Bytes: need})
	}
	room, ok := src.DatasetRoom(ctx, needs)
	if ok && room < 0 {
		a.log.Info("not bidding: the datasets of the jobs held and this one do not fit the disk cache", "job", job.Id,
			"dataset_bytes", need, "short_bytes", -room)
		return 0, "disk"
	}
	return need, ""
}

// releaseHolds lets the prefetched dataset files go whose jobs the agent
// no longer holds or, once keepDatasets kept the executed jobs' datasets
// for the validators' chunk requests (kept), has executed. Released at the load,
// the file was neither held nor kept while its job ran, and the sizing of
// a flood of jobs over other models evicted it; its owner then took its
// server down and the validators' chunk requests found no rows
// (TestAttackReleasedDatasetEvictedBeforeItIsKept). Pipeline goroutine.
func (a *Agent) releaseHolds(kept bool) {
	for _, id := range a.fetches.heldIDs() {
		if r, ok := a.recs[id]; !ok || r.Phase == PhaseEnded || kept && r.Phase >= PhaseExecuted {
			a.fetches.release(id)
		}
	}
}
