package keeper_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	if err := s.applyVerdicts(100, []types.ValidatorVerdicts{{ConsAddress: []byte("v"), Power: 10,
		Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}}}); err != nil {
		t.Fatal(err)
	}
	s.create(req, 1_000)
	open := s.create(req, 1_000)
	s.commit(p2, open, 900)

	_, fresh := s.exportImport()
	// The queues were rebuilt: the VERIFYING job ends, the open jobs advance.
	for _, q := range []keeper.HeightQueue{fresh.k.VerificationEndQueue, fresh.k.CommitEndQueue} {
		it, err := q.Iterate(fresh.ta.Ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := it.Keys()
		if err != nil || len(keys) == 0 {
			t.Fatalf("queue not rebuilt: %v %v", keys, err)
		}
	}
}

// exportImport exports s's module state, validates it, imports it into a
// fresh app (whose module account balance differs: only the state is
// compared) and checks that the fresh app exports the same genesis.
func (s *suite) exportImport() (*types.GenesisState, *suite) {
	s.t.Helper()
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		s.t.Fatal(err)
	}
	fresh := newSuite(s.t)
	// As InitChain runs it: at the block after the export (a plain export's
	// initial height), after every height its beacon state holds.
	if err := fresh.k.InitGenesis(fresh.ta.Ctx.WithBlockHeight(max(fresh.height(), s.height()+1)), gs); err != nil {
		s.t.Fatal(err)
	}
	again, err := fresh.k.ExportGenesis(fresh.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	if gs.String() != again.String() {
		s.t.Fatalf("genesis differs after import:\n%s\n%s", gs, again)
	}
	return gs, fresh
}

// TestAttackGenesisJobAtNextID: a job's creation stores the job under the id
// JobSeq gives without reading what is there (insertJob), so a genesis
// whose next_job_id is not above every job's id would let the next creation
// overwrite a stored job and strand its escrow. Such a genesis is refused
// (by Validate and by InitGenesis, which validates); with the sequence
// right, a creation after the import gets a fresh id and both jobs stand.
func TestAttackGenesisJobAtNextID(t *testing.T) {
	s := newSuite(t)
	req := s.acc(0)
	first := s.create(req, 1_000)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}

	bad := *gs
	bad.NextJobId = first
	if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("a genesis with next_job_id %d at a stored job: %v, want ErrInvalidGenesis", first, err)
	}
	fresh := newSuite(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, &bad); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("InitGenesis of it: %v, want ErrInvalidGenesis", err)
	}

	// A fresh app holds the imported state, not the escrow in its module
	// account (only the state is compared, as in TestGenesisRoundTrip): no
	// invariants here.
	good := newSuite(t)
	if err := good.k.InitGenesis(good.ta.Ctx, gs); err != nil {
		t.Fatal(err)
	}
	before := good.job(first)
	res, err := good.ms.CreateJob(good.ta.Ctx, good.createMsg(good.acc(0), 2_000))
	if err != nil {
		t.Fatal(err)
	}
	second := res.JobId
	if second == first {
		t.Fatalf("the creation after the import reused job id %d", first)
	}
	if after := good.job(first); after.String() != before.String() || !after.Escrow.Equal(before.Escrow) {
		t.Fatalf("the imported job changed:\n%s\n%s", before.String(), after.String())
	}
	if j := good.job(second); j.MaxPrice.Amount.Int64() != 2_000 {
		t.Fatalf("new job %+v", j)
	}
}

// TestAttackGenesisWinnerSpelledInUpperCase: bech32 also accepts an address
// written all in upper case, and the keeper compares and indexes addresses
// as strings. A genesis whose assigned job names its winner (and the
// winner's provider record) in upper case was imported: the winner's
// MsgSubmitResult, canonical, was refused as not the winner's, and the job
// timed out on it. Every stored address must be in the codec's spelling;
// the canonical export imports and the winner submits.
func TestAttackGenesisWinnerSpelledInUpperCase(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	upper := strings.ToUpper(p1.String())
	for name, spoil := range map[string]func(g *types.GenesisState){
		"winner": func(g *types.GenesisState) {
			for i := range g.Jobs {
				if g.Jobs[i].Winner == p1.String() {
					g.Jobs[i].Winner = upper
				}
			}
		},
		"provider": func(g *types.GenesisState) {
			for i := range g.Providers {
				if g.Providers[i].Address == p1.String() {
					g.Providers[i].Address = upper
				}
			}
		},
		"requester": func(g *types.GenesisState) { g.Jobs[0].Requester = strings.ToUpper(g.Jobs[0].Requester) },
		"bid":       func(g *types.GenesisState) { g.Bids[0].Provider = strings.ToUpper(g.Bids[0].Provider) },
		"commitment": func(g *types.GenesisState) {
			g.BidCommits[0].Provider = strings.ToUpper(g.BidCommits[0].Provider)
		},
	} {
		var bad types.GenesisState
		if err := bad.Unmarshal(mustMarshal(t, gs)); err != nil {
			t.Fatal(err)
		}
		spoil(&bad)
		if err := bad.Validate(); !errors.Is(err, types.ErrInvalidAddress) {
			t.Errorf("%s in upper case: %v, want ErrInvalidAddress", name, err)
		}
	}
	fresh := newSuite(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.ms.SubmitResult(fresh.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatalf("the winner's result after the import: %v", err)
	}
}

func mustMarshal(t *testing.T, gs *types.GenesisState) []byte {
	t.Helper()
	bz, err := gs.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return bz
}
