package provider

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/aichain/aichain/jobexec"
)

// Bounds on the weights the agent streams to validators at once: a weights
// file is up to MaxWeightsBytes, and a transfer holds a file handle and a
// connection for as long as the validator takes to read it (up to
// jobexec.WeightsSendTime). With every validator asking at once, V × W bytes may
// not fit the unavailable span on the agent's uplink: the validators' sidecars
// then send each other the weights (sidecar/peers.go).
//
// maxWeightsTransfers is the default (Config.WeightsSlots). Each slot takes
// its share of the uplink, and a validator keeps its turn to the end of the
// file only once the rest is within three quanta at its rate
// (slots.Rank.Fast): with 8 slots on 256 Mbit/s, 4 MiB/s each, validators
// whose model takes them more than four quanta went round the slots with
// no copy within the span (docs/open-attacks.md). An operator on a slow
// uplink sets fewer slots, about one per 8 MiB/s (4 on 256 Mbit/s): each
// then completes a copy in half the time, and the validators' sidecars
// share the copies (TestFewerWeightsSlotsCompleteACopyOnASlowUplink).
const (
	maxWeightsTransfers          = 8
	maxWeightsTransfersPerSigner = 2
	// MaxWeightsSlots bounds Config.WeightsSlots: file handles and
	// connections held at once.
	MaxWeightsSlots = 64
)

// weightsStall is how long a validator may take nothing of a weights
// transfer before it is dropped and its slot freed (the dataserver's stall
// rule), and weightsPace the least it must take (jobexec.WeightsPace: a
// transfer runs for up to jobexec.WeightsSendTime of its size). A reader
// that took 64 KiB per weightsStall held its slot for the whole send time,
// and four validators held all 8 (TestAttackSlowWeightsReaderFallsBehindThePace).
// weightsHold is how long a validator's request waits in the agent for its
// turn at a slot (jobexec.WeightsSlots), well within a sidecar's 15 s
// for the answer's headers (jobexec.FetchPolicy.HeaderTimeout).
var (
	weightsStall = 30 * time.Second
	weightsPace  = jobexec.WeightsPace()
	weightsHold  = 5 * time.Second
)

// serveWeights serves GET /v1/models/{sha256}: a model's weights file, from
// the agent's cache, to bonded validators only. A verifier asks for them
// when the model's uri fails: the agent computed its jobs with these weights
// and so holds them, and a model taken down after the award (by a requester
// that owns it, to leave the verification inconclusive and keep the result
// unpaid) is then still verified. The weights are public (their uri is on
// chain), and served for as long as a job the agent executed on them is not
// over: a validator read any model the agent had cached, at any time, on
// the agent's uplink, and bought a place in the slots' ranks on a model
// while none of its jobs was verified
// (TestAttackValidatorReadsWeightsOfNoJobUnderVerification). The
// checks run in the order serveChunk's do, the disk last. The
// file is streamed (ranges allowed), at most maxWeightsTransfers at once
// and maxWeightsTransfersPerSigner for one validator, each in its turn
// (jobexec.WeightsSlots); one whose turn does not come within weightsHold
// is answered 503 with Retry-After (TestAttackWeightsRequestsHoldWholeCopies).
func (a *Agent) serveWeights(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if b, err := hex.DecodeString(sha); err != nil || len(b) != 32 {
		httpError(w, http.StatusBadRequest, "bad_request", "a model's weights are named by their sha256 in hex")
		return
	}
	var validator string
	if !a.admit(w, r, func(signer string, validators map[string]bool) bool {
		if !validators[signer] {
			a.metrics.Refused.WithLabelValues("no_access").Inc()
			httpError(w, http.StatusForbidden, "no_access", "only bonded validators read model weights here (the model's uri serves everyone)")
			return false
		}
		validator = signer
		return true
	}) {
		return
	}
	if a.cfg.Weights == nil {
		httpError(w, http.StatusNotFound, "not_found", "this provider keeps no model weights")
		return
	}
	if !a.auth.servesModel(sha) {
		a.metrics.Refused.WithLabelValues("not_verified").Inc()
		httpError(w, http.StatusNotFound, "not_found", "this provider has no job under verification on the model with that sha256")
		return
	}
	if a.cfg.Fault.WeightsTransfers > 0 && a.weightsSent.Add(1) > int64(a.cfg.Fault.WeightsTransfers) {
		a.metrics.Refused.WithLabelValues("busy").Inc()
		w.Header().Set("Retry-After", strconv.Itoa(5))
		httpError(w, http.StatusServiceUnavailable, "busy", "this provider is sending as many weights as it sends at once; retry later")
		return
	}
	slot, err := a.weightSlots().Take(w, r, validator, sha)
	var refused *jobexec.SlotRefusal
	if errors.As(err, &refused) {
		status := refused.Status(w)
		if refused.Behind {
			a.metrics.Refused.WithLabelValues("behind_pace").Inc()
			httpError(w, status, "behind_pace", "this validator's weights transfers fell behind the pace; retry later")
			return
		}
		a.metrics.Refused.WithLabelValues("busy").Inc()
		httpError(w, status, "busy", "this provider is sending as many weights as it sends at once; this validator keeps its place in the queue while it asks again")
		return
	}
	if err != nil {
		a.log.Error("weights slot", "sha256", sha, "err", err)
		httpError(w, http.StatusInternalServerError, "internal", "cannot take a weights slot")
		return
	}
	defer slot.Release()
	f, err := a.cfg.Weights(sha)
	if err != nil {
		httpError(w, http.StatusNotFound, "not_found", "this provider holds no weights with that sha256")
		return
	}
	defer f.Close()
	if err := slot.Serve(w, r, f, weightsStall); err != nil {
		a.log.Error("stat weights", "sha256", sha, "err", err)
		httpError(w, http.StatusInternalServerError, "internal", "cannot read the weights file")
		return
	}
	a.metrics.WeightsServed.Inc()
}

// weightSlots are the agent's weights transfers to validators
// (jobexec.WeightsSlots at weightsPace): each validator's pace kept across
// its transfers (TestAttackValidatorsRestartTheGraceToHoldEveryWeightsSlot),
// a transfer that ran its quantum cut while others wait
// (TestAttackValidatorsKeepingThePaceHoldEveryWeightsSlot), and a freed
// slot given to the waiting validator with the most of the file
// (TestAttackValidatorsWaitingTogetherGetNoWholeCopyWithinTheSpan).
func (a *Agent) weightSlots() *jobexec.WeightsSlots {
	a.weightsOnce.Do(func() {
		n := a.cfg.WeightsSlots
		if n <= 0 {
			n = maxWeightsTransfers
		}
		n = min(n, MaxWeightsSlots)
		a.weights = jobexec.NewWeightsSlots(n, min(n, maxWeightsTransfersPerSigner), weightsPace, weightsHold)
	})
	return a.weights
}
