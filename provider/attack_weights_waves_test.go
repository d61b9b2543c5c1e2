package provider

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
)

// TestAttackWavesOnASmallModelHoldEverySlotPastTheSpan: hostile requester
// that owns its job's model and takes the weights down after the award,
// with twenty-four hostile bonded validators that ask for the whole file
// in three waves of eight, a moment apart, before the honest validator,
// and read it at 1.6 × the pace. The model is small: the whole file is
// within FastHorizon at that rate, so each validator was Fast (Rank.Fast)
// from its first cut and kept its slot until it had the file; each wave
// then took the slots the one before freed, having waited longer than the
// honest validator. Scaled 1/20 (an 8 MiB file, 160 MiB real), the honest
// copy came after 7.5 s against the 6 s span, where before Rank.Fast a
// validator at 1.6 × the pace lost its slot at its first cut to those that
// had waited longer (3.56 s, 464eb29). Now a Fast turn is kept only before
// the validators that queued after its run began: the second wave, served
// after the honest validator queued, is not Fast before it.
func TestAttackWavesOnASmallModelHoldEverySlotPastTheSpan(t *testing.T) {
	const readRate, climbRate, span = 8 << 20, 16 * (2 << 20) / 10, 6 * time.Second
	scaleWeightsPace(t)
	file := bytes.Repeat([]byte("weights!"), (8<<20)/8)
	sha := workload.SHA256Hex(file)
	_, url, honest, hostile := weightsServerWithHostile(t, file, 3*maxWeightsTransfers)
	stop := drainingWaves(t, url, hostile, sha, int64(len(file)), func(int) int64 { return 0 }, climbRate)
	time.Sleep(weightsPace.Grace - 200*time.Millisecond) // the waves ask first
	honestWithin(t, url, honest, sha, file, readRate, span, func() string {
		stop()
		return fmt.Sprintf("twenty-four hostile validators in three waves reading the %d MiB file from byte 0 at %.1f MiB/s",
			len(file)>>20, float64(climbRate)/(1<<20))
	})
}

// TestFewerWeightsSlotsCompleteACopyOnASlowUplink: the open entry of
// docs/open-attacks.md, honest validators whose file takes them over four
// quanta at their share of the uplink, and an operator's answer to it. 48
// honest validators share a 256 Mbit/s uplink: on the default 8 slots each
// reads at 4 MiB/s and a 20 MiB file (scaled 1/20: 400 MiB) takes it five
// quanta, so it is Fast only near the end and the slots go round (first
// copy after 10.2 s). On 4 slots (--weights-slots 4) each reads at 8
// MiB/s, the file takes it 2.5 quanta, every validator served keeps its
// turn to the end, and the first copies come within the span.
func TestFewerWeightsSlotsCompleteACopyOnASlowUplink(t *testing.T) {
	honestCrowdOnSlots(t, 4, 48, 8<<20, 20<<20)
}
