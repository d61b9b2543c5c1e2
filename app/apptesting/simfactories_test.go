package apptesting_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// sendFactory sends amount uaic between two test accounts; a zero amount
// makes a message the bank refuses.
func sendFactory(amount int64) simsx.SimMsgFactoryX {
	return simsx.SimMsgFactoryFn[*banktypes.MsgSend](func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *banktypes.MsgSend) {
		from, to := testData.AccountAt(reporter, 0), testData.AccountAt(reporter, 1)
		coins := sdk.Coins{sdk.NewInt64Coin(app.BondDenom, amount)}
		return []simsx.SimAccount{from}, banktypes.NewMsgSend(from.Address, to.Address, coins)
	})
}

// paramsFactory sets the bank's default params, as gov would.
func paramsFactory() simsx.SimMsgFactoryX {
	return simsx.SimMsgFactoryFn[*banktypes.MsgUpdateParams](func(context.Context, *simsx.ChainDataSource, simsx.SimulationReporter) ([]simsx.SimAccount, *banktypes.MsgUpdateParams) {
		return nil, &banktypes.MsgUpdateParams{Authority: apptesting.GovAuthority(), Params: banktypes.DefaultParams()}
	})
}

// fakeModule registers its factories with weight 1 each.
type fakeModule struct{ ops, proposals []simsx.SimMsgFactoryX }

func (m fakeModule) WeightedOperationsX(_ simsx.WeightSource, reg simsx.Registry) {
	for _, f := range m.ops {
		reg.Add(1, f)
	}
}

func (m fakeModule) ProposalMsgsX(_ simsx.WeightSource, reg simsx.Registry) {
	for _, f := range m.proposals {
		reg.Add(1, f)
	}
}

// recorder is a testing.TB that records failures instead of failing the
// test; Fatal ends the goroutine, as it does in a test.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) record(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, s)
}

func (r *recorder) Helper()                           {}
func (r *recorder) Error(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatal(args ...any)                 { r.record(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.record(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// validGenesis is what export returns: valid unless err is set.
type validGenesis struct{ err error }

func (g validGenesis) Validate() error { return g.err }

// run runs RunSimFactories on a fresh app and returns the failures it
// reported, and the app.
func run(t *testing.T, c apptesting.SimFactories, genesisErr error) ([]string, *apptesting.TestApp) {
	t.Helper()
	ta := apptesting.Setup(t, 3)
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		apptesting.RunSimFactories(rec, ta, c, func(context.Context) (validGenesis, error) {
			return validGenesis{err: genesisErr}, nil
		})
	}()
	<-done
	return rec.failures, ta
}

// TestRunSimFactories checks that the shared factory harness passes a module
// whose messages are all accepted and fails on each thing it must catch.
func TestRunSimFactories(t *testing.T) {
	good := fakeModule{ops: []simsx.SimMsgFactoryX{sendFactory(1)}, proposals: []simsx.SimMsgFactoryX{paramsFactory()}}
	base := apptesting.SimFactories{Module: good, Factories: 2, Seed: 1, Rounds: 4, BlockEvery: 2, MustDeliver: []string{"MsgSend", "MsgUpdateParams"}}
	broken := errors.New("books do not balance")
	for _, tc := range []struct {
		name       string
		edit       func(c *apptesting.SimFactories)
		genesisErr error
		want       string // "" passes
	}{
		{name: "every factory in turn", edit: func(*apptesting.SimFactories) {}},
		{name: "weighted draws", edit: func(c *apptesting.SimFactories) { c.OpsPerRound = 3 }},
		{name: "wrong factory count", edit: func(c *apptesting.SimFactories) { c.Factories = 3 }, want: "2 factories, want 3"},
		{name: "refused message", edit: func(c *apptesting.SimFactories) {
			c.Module = fakeModule{ops: []simsx.SimMsgFactoryX{sendFactory(0)}, proposals: []simsx.SimMsgFactoryX{paramsFactory()}}
		}, want: "from the factory refused"},
		{name: "two signers", edit: func(c *apptesting.SimFactories) {
			c.Module = fakeModule{ops: []simsx.SimMsgFactoryX{simsx.SimMsgFactoryFn[*banktypes.MsgSend](
				func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *banktypes.MsgSend) {
					signers, msg := sendFactory(1).Create()(ctx, testData, reporter)
					return append(signers, signers...), msg.(*banktypes.MsgSend)
				})}, proposals: []simsx.SimMsgFactoryX{paramsFactory()}}
		}, want: "2 signers"},
		{name: "broken invariant", edit: func(c *apptesting.SimFactories) {
			c.Invariants = func() error { return broken }
		}, want: "round 1: books do not balance"},
		{name: "params refused", edit: func(c *apptesting.SimFactories) {
			c.SetParams = &banktypes.MsgUpdateParams{Authority: "nobody", Params: banktypes.DefaultParams()}
		}, want: "set params: "},
		{name: "never delivered", edit: func(c *apptesting.SimFactories) {
			c.MustDeliver = append(c.MustDeliver, "MsgMultiSend")
		}, want: "MsgMultiSend never delivered"},
		{name: "invalid genesis", edit: func(*apptesting.SimFactories) {}, genesisErr: broken, want: "not a valid genesis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.MustDeliver = append([]string(nil), base.MustDeliver...)
			tc.edit(&c)
			failures, _ := run(t, c, tc.genesisErr)
			switch {
			case tc.want == "" && len(failures) > 0:
				t.Fatalf("failed: %v", failures)
			case tc.want != "" && (len(failures) != 1 || !strings.Contains(failures[0], tc.want)):
				t.Fatalf("failures %q, want one with %q", failures, tc.want)
			}
		})
	}
}

// TestRunSimFactoriesSetsParams: SetParams is delivered again after every
// MsgUpdateParams, so the factory's params (the bank's defaults) do not stay.
func TestRunSimFactoriesSetsParams(t *testing.T) {
	want := banktypes.DefaultParams()
	want.DefaultSendEnabled = !want.DefaultSendEnabled
	c := apptesting.SimFactories{
		Module: fakeModule{proposals: []simsx.SimMsgFactoryX{paramsFactory()}}, Factories: 1, Seed: 1, Rounds: 4,
		SetParams:   &banktypes.MsgUpdateParams{Authority: apptesting.GovAuthority(), Params: want},
		MustDeliver: []string{"MsgUpdateParams"},
	}
	failures, ta := run(t, c, nil)
	if len(failures) > 0 {
		t.Fatalf("failed: %v", failures)
	}
	if got := ta.BankKeeper.GetParams(ta.Ctx); got.String() != want.String() {
		t.Fatalf("bank params after the run: %v, want %v", got, want)
	}
}
