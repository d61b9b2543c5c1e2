package ve

import (
	"sync"
	"time"

	"github.com/hashicorp/go-metrics"

	"github.com/cosmos/cosmos-sdk/telemetry"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Node metrics of verification health, on the SDK's telemetry (app.toml
// [telemetry]; Prometheus at the REST server's /metrics?format=prometheus),
// named aichain_ve_*:
//
//	aichain_ve_extend_vote{result}      this node's vote extensions: "verdicts",
//	                                    "empty" (the sidecar had none ready),
//	                                    "no_sidecar", "sidecar_error", "encode_error"
//	aichain_ve_sidecar_seconds           time the sidecar took to answer ExtendVote
//	aichain_ve_verdicts_sent{verdict}   verdicts this node put in its extensions
//	aichain_ve_verdicts_tallied{verdict} verdicts the PreBlocker handed to x/compute,
//	                                    from every validator
const (
	ExtendVoteVerdicts    = "verdicts"
	ExtendVoteEmpty       = "empty"
	ExtendVoteNoSidecar   = "no_sidecar"
	ExtendVoteSidecarErr  = "sidecar_error"
	ExtendVoteEncodeError = "encode_error"
)

func countExtendVote(result string) {
	telemetry.IncrCounterWithLabels([]string{"aichain", "ve", "extend_vote"}, 1,
		[]metrics.Label{telemetry.NewLabel("result", result)})
}

func measureSidecar(start time.Time) {
	telemetry.MeasureSince(start, "aichain", "ve", "sidecar_seconds")
}

func countVerdicts(name string, verdicts []computetypes.JobVerdict) {
	if !telemetry.IsTelemetryEnabled() {
		return
	}
	for _, v := range verdicts {
		telemetry.IncrCounterWithLabels([]string{"aichain", "ve", name}, 1,
			[]metrics.Label{telemetry.NewLabel("verdict", v.Verdict.String())})
	}
}

// sidecarHealth decides how loudly to report a sidecar that gives no
// verdicts: a warning when it starts failing and every warnEvery heights
// while it keeps failing, so that an operator sees that the node votes with
// empty extensions without a line every block.
type sidecarHealth struct {
	mu          sync.Mutex
	failing     bool
	lastWarning int64
}

const warnEvery = 100

// failed records a failure at height and tells whether to warn.
func (s *sidecarHealth) failed(height int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.failing || height-s.lastWarning >= warnEvery {
		s.failing, s.lastWarning = true, height
		return true
	}
	return false
}

// ok records an answer and tells whether the sidecar was failing before.
func (s *sidecarHealth) ok() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.failing
	s.failing = false
	return was
}
