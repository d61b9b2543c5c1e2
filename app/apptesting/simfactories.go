package apptesting

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
)

// GovAuthority returns the gov module's address, the authority of every
// MsgUpdateParams.
func GovAuthority() string { return authtypes.NewModuleAddress(govtypes.ModuleName).String() }

// SimModule is a module that registers simsx message factories.
type SimModule interface {
	simsx.HasWeightedOperationsX
	simsx.HasProposalMsgsX
}

// SimFactories says how RunSimFactories drives a module's message factories.
type SimFactories struct {
	// Module registers the factories, with their default weights.
	Module SimModule
	// Factories is how many factories the module must register.
	Factories int
	// Seed seeds the random source of the factories and the draws.
	Seed int64
	// Rounds is how many rounds to run.
	Rounds int
	// OpsPerRound is how many factories to draw by weight each round, as the
	// simulator does; 0 runs every factory once a round, in the order the
	// module registered them.
	OpsPerRound int
	// BlockEvery ends a block (ta.NextBlockAfter(BlockTime)) after every
	// that many rounds; 0 never ends one.
	BlockEvery int
	// BlockTime is the block time step; 0 is NextBlock's.
	BlockTime time.Duration
	// BeforeRound, if set, runs at the start of every round, before the
	// round's data source is built.
	BeforeRound func(r *rand.Rand) error
	// SetParams, if set, is a MsgUpdateParams with the module's params for
	// the test (e.g. short windows), delivered through the app's Msg router
	// before the first round and again after every MsgUpdateParams the
	// factories deliver, so that their random params do not stay.
	SetParams sdk.Msg
	// Invariants, if set, must hold after every block.
	Invariants func() error
	// MustDeliver lists the short type names that must be delivered at
	// least once.
	MustDeliver []string
}

// RunSimFactories runs a module's simsx message factories against the app:
// every message they produce (and do not skip) must have one signer (but
// MsgUpdateParams) and be accepted by the app's Msg router, the invariants
// must hold after every block, every type in MustDeliver must be delivered,
// and the module's exported state must be a valid genesis, which it returns.
func RunSimFactories[G interface{ Validate() error }](t testing.TB, ta *TestApp, c SimFactories,
	export func(context.Context) (G, error),
) G {
	t.Helper()
	run := &simRun{t: t, ta: ta, c: c, delivered: map[string]int{}}
	weights := simsx.WeightSourceFn(func(_ string, d uint32) uint32 { return d })
	c.Module.WeightedOperationsX(weights, &run.reg)
	c.Module.ProposalMsgsX(weights, &run.reg)
	if len(run.reg.factories) != c.Factories {
		t.Fatalf("%d factories, want %d (one per Msg)", len(run.reg.factories), c.Factories)
	}
	if c.OpsPerRound > 0 && run.reg.total == 0 {
		t.Fatalf("the factories' weights add up to 0: nothing to draw")
	}
	for _, a := range ta.Accounts {
		run.accs = append(run.accs, simtypes.Account{PrivKey: a.Priv, PubKey: a.Priv.PubKey(), Address: a.Address, AddressBech32: a.String()})
	}
	if err := run.setParams(); err != nil {
		t.Fatalf("set params: %v", err)
	}
	r := rand.New(rand.NewSource(c.Seed))
	for round := 0; round < c.Rounds; round++ {
		run.round(r, round)
	}
	t.Logf("delivered: %v", run.delivered)
	for _, name := range c.MustDeliver {
		if run.delivered[name] == 0 {
			t.Errorf("%s never delivered (%v)", name, run.delivered)
		}
	}
	gs, err := export(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("state after the simulation is not a valid genesis: %v", err)
	}
	return gs
}

// simRun is one RunSimFactories run.
type simRun struct {
	t         testing.TB
	ta        *TestApp
	c         SimFactories
	reg       weightedFactories
	accs      []simtypes.Account
	delivered map[string]int
}

// setParams delivers the run's MsgUpdateParams, if it has one.
func (s *simRun) setParams() error {
	if s.c.SetParams == nil {
		return nil
	}
	handler := s.ta.MsgServiceRouter().Handler(s.c.SetParams)
	if handler == nil {
		return fmt.Errorf("no handler for %s", sdk.MsgTypeURL(s.c.SetParams))
	}
	_, err := handler(s.ta.Ctx, s.c.SetParams)
	return err
}

// round delivers one round of messages, then ends a block and checks the
// invariants when the round closes one.
func (s *simRun) round(r *rand.Rand, round int) {
	t, c := s.t, s.c
	t.Helper()
	if c.BeforeRound != nil {
		if err := c.BeforeRound(r); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	testData := simsx.NewChainDataSource(s.ta.Ctx, r, s.ta.AccountKeeper, s.ta.BankKeeper, s.ta.AccountKeeper.AddressCodec(), s.accs...)
	if c.OpsPerRound == 0 {
		for _, f := range s.reg.factories {
			s.deliver(round, f, testData)
		}
	} else {
		for op := 0; op < c.OpsPerRound; op++ {
			s.deliver(round, s.reg.pick(r), testData)
		}
	}
	if c.BlockEvery == 0 || round%c.BlockEvery != c.BlockEvery-1 {
		return
	}
	if c.BlockTime == 0 {
		s.ta.NextBlock()
	} else {
		s.ta.NextBlockAfter(c.BlockTime)
	}
	if c.Invariants != nil {
		if err := c.Invariants(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// deliver creates one message with a factory and delivers it through the
// app's Msg router, unless the factory skips.
func (s *simRun) deliver(round int, f simsx.SimMsgFactoryX, testData *simsx.ChainDataSource) {
	t := s.t
	t.Helper()
	reporter := simsx.NewBasicSimulationReporter()
	signers, msg := f.Create()(s.ta.Ctx, testData, reporter)
	if reporter.IsSkipped() {
		return
	}
	url := sdk.MsgTypeURL(msg)
	name := url[strings.LastIndex(url, ".")+1:]
	if name != "MsgUpdateParams" && len(signers) != 1 {
		t.Fatalf("%s: %d signers, want 1", url, len(signers))
	}
	handler := s.ta.MsgServiceRouter().Handler(msg)
	if handler == nil {
		t.Fatalf("no handler for %s", url)
	}
	if _, err := handler(s.ta.Ctx, msg); err != nil {
		t.Fatalf("round %d: %s from the factory refused: %v\n%v", round, url, err, msg)
	}
	if name == "MsgUpdateParams" {
		if err := s.setParams(); err != nil {
			t.Fatalf("round %d: set params after %s: %v", round, url, err)
		}
	}
	s.delivered[name]++
}

// weightedFactories is a simsx.Registry that keeps the factories and their
// weights.
type weightedFactories struct {
	factories []simsx.SimMsgFactoryX
	weights   []uint32
	total     uint32
}

func (w *weightedFactories) Add(weight uint32, f simsx.SimMsgFactoryX) {
	w.factories, w.weights, w.total = append(w.factories, f), append(w.weights, weight), w.total+weight
}

// pick draws a factory by weight, as the simulator does.
func (w *weightedFactories) pick(r *rand.Rand) simsx.SimMsgFactoryX {
	n := uint32(r.Int63n(int64(w.total)))
	for i, weight := range w.weights {
		if n < weight {
			return w.factories[i]
		}
		n -= weight
	}
	return w.factories[len(w.factories)-1]
}
