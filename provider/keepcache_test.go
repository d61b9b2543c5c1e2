package provider

import (
	"context"
	"os"
	"slices"
	"testing"
)

// pinsSeen records what the agent keeps in its disk cache.
type pinsSeen struct {
	fakeMLP
	kept [][]string
}

func (p *pinsSeen) PinModel(context.Context, uint64) (string, error) { return "", nil }
func (p *pinsSeen) KeepModels(shas []string) {
	slices.Sort(shas)
	p.kept = append(p.kept, shas)
}

// The agent keeps in its disk cache the weights of exactly the jobs it
// holds: bid on and not ended (jobexec.TestAttackManyModelsFillTheDisk,
// TestAttackFloodOfUnbidJobsStopsAllBids); with no disk cache (no weights
// served) it keeps nothing.
func TestKeepModelsFollowsTheHeldJobs(t *testing.T) {
	a := testAgent(t)
	pins := &pinsSeen{}
	a.cfg.MLP, a.cfg.Weights = pins, nil
	a.keepModels()
	if len(pins.kept) != 0 {
		t.Fatalf("an agent that serves no weights keeps %v", pins.kept)
	}
	a.cfg.Weights = func(string) (*os.File, error) { return nil, os.ErrNotExist }
	a.recs[1] = &Record{ID: 1, Phase: PhaseEnded, ModelSha: "aa"}
	a.recs[2] = &Record{ID: 2, Phase: PhaseSubmitted, ModelSha: "bb"}
	a.recs[3] = &Record{ID: 3, Phase: PhaseBid, ModelSha: "cc"}
	a.recs[4] = &Record{ID: 4, Phase: PhaseWon} // a gemm job: no model
	a.keepModels()
	if len(pins.kept) != 1 || !slices.Equal(pins.kept[0], []string{"bb", "cc"}) {
		t.Fatalf("kept %v, want the submitted and the bid job's models", pins.kept)
	}
	for id := range a.recs {
		delete(a.recs, id)
	}
	a.keepModels()
	if len(pins.kept[1]) != 0 {
		t.Fatalf("with no job held the agent keeps %v", pins.kept[1])
	}
}
