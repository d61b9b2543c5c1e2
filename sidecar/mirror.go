package sidecar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// weightsFrom is the WeightsMirror of a job: its provider's
// GET /v1/models/{sha256}, at most MaxWeightsBytes (the resolver checks
// the sha256; readWeights).
//
// The provider sends only so many weights at once (maxWeightsTransfers in
// provider/weights.go) and answers the others busy, 503 with Retry-After:
// when a model's uri is down every validator asks it at once, and a single
// request turned into UNAVAILABLE at every poll voted an honest provider
// gone across the span (TestAttackBusyWeightsMirrorVotesAnHonestProviderUnavailable).
// A busy answer is now asked again after its Retry-After, as a chunk is,
// up to FetchRetries attempts, within the check's context and its busy
// budget (pause); any other failure is an answer, not asked again.
//
// A mirror still busy at its last attempt fails the fetch (the error wraps
// the *dataserver.BusyError): the verdict of that poll is UNAVAILABLE, which
// the scheduler counts toward the unavailable span (jobState.failing) and
// does not send before the provider has failed across it; the job is tried
// again at every poll. That is the rule for a busy chunk, and the simplest
// bound that is correct here: a provider busy for ever ends UNAVAILABLE,
// and an honest one has the whole span to free a transfer. busyFor's
// shorter bound (half of what was left of the window) exists because an
// aborted job's window is not extended; a verification's span is capped at
// its window, which is extended once without a quorum, so the span is
// always reached, and the half-window cut would only shorten an honest
// provider's grace late in the window.
//
// A transfer cut after it brought bytes (the fetch policy's rates, on an
// uplink shared by the provider's transfers to every validator; the
// provider's quantum while others wait) is asked again for the rest at
// once (a Range request, within the same attempts; one that brought
// freeCutBytes costs none): a cut transfer restarted from zero, so where
// each of the provider's transfers ran under the policy's average rate no
// validator ever had the weights (TestCutWeightsTransferResumesWhereItStopped,
// TestWeightsCutAtEveryQuantumComeWhole). What a check that gave up, or
// whose worker was taken back (slicedMirror), had is kept for the next
// check at the same provider (partialWeights).
//
// The provider alone cannot send every validator the weights within the
// span, so a fetch also starts (or joins) a walk of the peer sidecars for
// them, in the background (peerwalk.go): weights a peer sends that match
// the sha256 are the weights, whoever sent them.
func (v *Verifier) weightsFrom(endpoint string, budget *busyBudget) jobexec.WeightsMirror {
	return func(ctx context.Context, sha string) (workload.Checked, error) {
		url := strings.TrimRight(endpoint, "/") + "/v1/models/" + sha
		walk := v.walkFor(sha)
		if data, ok := v.take(sha, walk); ok {
			v.partials.drop(sha)
			return data, nil
		}
		ctx, stop := v.untilWalked(ctx, walk)
		defer stop()
		// What earlier attempts, or checks, received: asked for from where
		// it stopped.
		have := v.partials.take(endpoint, sha, time.Now())
		var err error
		for attempt := 0; attempt < v.cfg.FetchRetries; attempt++ {
			if attempt > 0 {
				if err = v.pause(ctx, err, budget); err != nil {
					break
				}
			}
			var res *http.Response
			if res, err = v.signedGetFrom(ctx, endpoint, url, int64(len(have))); err == nil {
				var cut bool
				had := len(have)
				have, cut, err = v.readWeights(res, endpoint, sha, have)
				_ = res.Body.Close()
				if errors.Is(err, workload.ErrTooLarge) {
					v.stopWalk(sha, walk)
					return workload.Checked{}, err
				}
				if err == nil {
					// Only the weights themselves end the walk: the walk is
					// shared by every job on this sha256, and another job's
					// provider answering other bytes must not cancel it.
					// They are hashed here, once: the resolver takes them
					// as checked.
					f, err := workload.CheckFile(have, sha)
					if err == nil {
						v.stopWalk(sha, walk)
						v.partials.drop(sha)
					}
					return f, err
				}
				if cut {
					v.log.Debug("weights transfer cut; asking for the rest", "url", url, "have", len(have), "attempt", attempt+1, "err", err)
					if len(have)-had >= freeCutBytes {
						attempt-- // progress: the provider's quantum, not a failure
					}
					continue
				}
			}
			var busy *dataserver.BusyError
			if !errors.As(err, &busy) {
				break
			}
			v.log.Debug("weights mirror busy", "url", url, "attempt", attempt+1, "err", err)
		}
		if data, ok := v.take(sha, walk); ok {
			v.partials.drop(sha)
			return data, nil
		}
		v.partials.put(endpoint, sha, have, time.Now())
		return workload.Checked{}, fmt.Errorf("provider %s: %w", endpoint, err)
	}
}

// freeCutBytes is what a weights transfer must have brought for its cut to
// cost no attempt: under contention the provider cuts every transfer after
// its quantum (jobexec.WeightsSlots, 20 s) and keeps the validator's turn
// for it to ask for the rest, so a large model comes in several cut
// transfers, more than FetchRetries, and a check that gave up lost what
// it had. A provider that cuts its transfers short still spends attempts,
// and the bytes bound the free ones: MaxWeightsBytes / freeCutBytes.
const freeCutBytes = 1 << 20

// readWeights reads the rest of a weights file from the provider after the
// have bytes an earlier attempt brought (res answers a Range request from
// len(have) when there are any: a 206 from there continues them, a 200
// starts again), at most MaxWeightsBytes. A body cut short, within the
// limit, returns what came, with cut set when it brought bytes and the
// check's context did not end (asked again for the rest). A body over that limit is hashed to its end (up to
// MaxWeightsHashed in all) without being kept: if it is the model's file,
// the provider holds the weights and only this sidecar's limit refuses them
// (an error wrapping workload.ErrTooLarge: abstain); if not, the provider
// served something else (a plain error: UNAVAILABLE), so that junk over the
// limit is no way out of the verdict. A body longer than MaxWeightsHashed is
// not weights a provider agent ran: reading 16 GiB of junk at the fetch
// policy's average rate held a check's worker for an hour
// (TestAttackWeightsMirrorJunkPastLimitHoldsTheCheck).
func (v *Verifier) readWeights(res *http.Response, endpoint, sha string, have []byte) (data []byte, cut bool, err error) {
	if len(have) > 0 {
		if res.StatusCode != http.StatusPartialContent {
			have = have[:0] // the whole file again
		} else if from, ok := rangeStart(res.Header.Get("Content-Range")); !ok || from != int64(len(have)) {
			return nil, false, fmt.Errorf("provider %s: a range answer %q, not from byte %d", endpoint, res.Header.Get("Content-Range"), len(have))
		}
	}
	data, err = jobexec.ReadCapped(res.Body, have, v.cfg.MaxWeightsBytes+1)
	n := len(data) - len(have)
	if err != nil {
		if int64(len(data)) > v.cfg.MaxWeightsBytes {
			return nil, false, fmt.Errorf("provider %s: %w", endpoint, err)
		}
		if n > 0 && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return data, true, fmt.Errorf("provider %s: cut after %d bytes: %w", endpoint, len(data), err)
		}
		// What came is kept for the next check (partialWeights).
		return data, false, fmt.Errorf("provider %s: %w", endpoint, err)
	}
	if int64(len(data)) <= v.cfg.MaxWeightsBytes {
		return data, false, nil
	}
	h := sha256.New()
	h.Write(data)
	data = nil
	if _, err := io.Copy(h, io.LimitReader(res.Body, max(v.cfg.MaxWeightsHashed-v.cfg.MaxWeightsBytes-1, 0))); err != nil {
		return nil, false, fmt.Errorf("provider %s: weights over %d bytes: %w", endpoint, v.cfg.MaxWeightsBytes, err)
	}
	if !strings.EqualFold(hex.EncodeToString(h.Sum(nil)), sha) {
		return nil, false, fmt.Errorf("provider %s: served over %d bytes that are not the weights %s", endpoint, v.cfg.MaxWeightsBytes, sha)
	}
	return nil, false, fmt.Errorf("%w: provider %s holds the weights, over this sidecar's --max-fetch-bytes %d",
		workload.ErrTooLarge, endpoint, v.cfg.MaxWeightsBytes)
}

// rangeStart is the first byte of a Content-Range "bytes FIRST-LAST/SIZE".
func rangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil && n >= 0
}
