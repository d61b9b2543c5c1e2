package simulation

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// maxCandidates bounds how many index entries a factory looks at.
const maxCandidates = 64

// BidSecret returns the price and salt a simulated provider commits to for a
// job: both follow from (job, provider), so the reveal factory can open the
// commitment without remembering anything.
func BidSecret(jobID uint64, provider string, maxPrice sdk.Coin) (sdk.Coin, []byte) {
	h := sha256.New()
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], jobID)
	h.Write([]byte("aichain/sim/bid"))
	h.Write(id[:])
	h.Write([]byte(provider))
	sum := h.Sum(nil)
	amt := math.NewInt(1)
	if maxPrice.Amount.GT(math.OneInt()) {
		amt = math.NewIntFromUint64(binary.BigEndian.Uint64(sum[:8])).Mod(maxPrice.Amount).AddRaw(1)
	}
	return sdk.NewCoin(maxPrice.Denom, amt), sum[8:24]
}

func randHardware(r *simsx.XRand) types.Hardware {
	hw := types.Hardware{
		GpuModel: []string{"A100", "H100", "L4"}[r.Intn(3)],
		GpuCount: uint32(1 + r.Intn(8)),
		VramGib:  uint32(16 + r.Intn(65)),
	}
	switch r.Intn(3) {
	case 0: // any workload
	case 1: // the kinds the simulation creates jobs of
		hw.Workloads = kindNames(simulatedKinds())
	default: // every kind of the workload table
		hw.Workloads = kindNames(types.Kinds())
	}
	return hw
}

// simulatedKinds are the rows of the workload table with a spec generator.
func simulatedKinds() []types.WorkloadKind {
	var out []types.WorkloadKind
	for _, k := range types.Kinds() {
		if k.RandomSpec != nil {
			out = append(out, k)
		}
	}
	return out
}

// kindNames lists the kinds' names, at most types.MaxWorkloads of them.
func kindNames(ks []types.WorkloadKind) []string {
	names := make([]string, 0, len(ks))
	for _, k := range ks {
		if len(names) == types.MaxWorkloads {
			break
		}
		names = append(names, k.Name)
	}
	return names
}

// jobsIn returns up to maxCandidates ids of jobs in a state.
func jobsIn(ctx context.Context, k keeper.Keeper, st types.JobState) ([]uint64, error) {
	it, err := k.Jobs.Indexes.State.MatchExact(ctx, int32(st))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var ids []uint64
	for ; it.Valid() && len(ids) < maxCandidates; it.Next() {
		id, err := it.PrimaryKey()
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// randomJobIn picks a job in one of the states; the reporter skips when there is none.
func randomJobIn(ctx context.Context, k keeper.Keeper, r *simsx.XRand, reporter simsx.SimulationReporter, st types.JobState) (types.Job, bool) {
	ids, err := jobsIn(ctx, k, st)
	if err != nil {
		reporter.Skip(err.Error())
		return types.Job{}, false
	}
	if len(ids) == 0 {
		reporter.Skip("no job in " + st.String())
		return types.Job{}, false
	}
	j, err := k.GetJob(ctx, ids[r.Intn(len(ids))])
	if err != nil {
		reporter.Skip(err.Error())
		return j, false
	}
	return j, true
}

// providersIn returns up to maxCandidates providers with a status.
func providersIn(ctx context.Context, k keeper.Keeper, st types.ProviderStatus) ([]types.Provider, error) {
	it, err := k.Providers.Indexes.Status.MatchExact(ctx, int32(st))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []types.Provider
	for ; it.Valid() && len(out) < maxCandidates; it.Next() {
		addr, err := it.PrimaryKey()
		if err != nil {
			return nil, err
		}
		p, err := k.GetProvider(ctx, addr)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// randomProvider picks a provider (of the given statuses) that is a simulation account.
func randomProvider(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter, sts ...types.ProviderStatus) (types.Provider, simsx.SimAccount, bool) {
	var all []types.Provider
	for _, st := range sts {
		ps, err := providersIn(ctx, k, st)
		if err != nil {
			reporter.Skip(err.Error())
			return types.Provider{}, simsx.SimAccount{}, false
		}
		all = append(all, ps...)
	}
	if len(all) == 0 {
		reporter.Skip("no provider")
		return types.Provider{}, simsx.SimAccount{}, false
	}
	p := all[testData.Rand().Intn(len(all))]
	acc := testData.GetAccount(reporter, p.Address)
	return p, acc, !reporter.IsSkipped()
}

// MsgRegisterProviderFactory registers a simulation account as a provider.
func MsgRegisterProviderFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRegisterProvider] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRegisterProvider) {
		r := testData.Rand()
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		bond := params.MinProviderBond.AddAmount(params.MinProviderBond.Amount.MulRaw(int64(r.Intn(5))))
		op := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(bond))
		if reporter.IsSkipped() {
			return nil, nil
		}
		if has, err := k.Providers.Has(ctx, op.AddressBech32); err != nil || has {
			reporter.Skip("already a provider")
			return nil, nil
		}
		if !op.LiquidBalance().BlockAmount(bond) {
			reporter.Skip("cannot reserve the bond")
			return nil, nil
		}
		return []simsx.SimAccount{op}, &types.MsgRegisterProvider{
			Operator: op.AddressBech32, Moniker: "sim-" + r.StringN(6),
			Endpoint: fmt.Sprintf("http://provider-%d.example:8090", r.Intn(1000)),
			Hardware: randHardware(r), Bond: bond,
		}
	}
}

// MsgUpdateProviderFactory changes a provider's description and may add bond
// (enough to unjail it when its jail time is over).
func MsgUpdateProviderFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateProvider] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateProvider) {
		r := testData.Rand()
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		p, op, ok := randomProvider(ctx, k, testData, reporter,
			types.ProviderStatus_PROVIDER_STATUS_ACTIVE, types.ProviderStatus_PROVIDER_STATUS_JAILED)
		if !ok {
			return nil, nil
		}
		add := coin(0)
		if r.Bool() {
			add = coin(int64(1 + r.Intn(10_000)))
		}
		h := sdk.UnwrapSDKContext(ctx).BlockHeight()
		if p.Status == types.ProviderStatus_PROVIDER_STATUS_JAILED && h >= p.JailedUntil && p.Bond.Add(add).IsLT(params.MinProviderBond) {
			add = params.MinProviderBond.Sub(p.Bond)
		}
		if add.IsPositive() && !op.LiquidBalance().BlockAmount(add) {
			reporter.Skip("cannot reserve the added bond")
			return nil, nil
		}
		return []simsx.SimAccount{op}, &types.MsgUpdateProvider{
			Operator: op.AddressBech32, Moniker: "sim-" + r.StringN(6), Endpoint: p.Endpoint,
			Hardware: randHardware(r), AddBond: &add,
		}
	}
}

// MsgUnbondProviderFactory unbonds a provider without locked collateral.
func MsgUnbondProviderFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUnbondProvider] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUnbondProvider) {
		p, op, ok := randomProvider(ctx, k, testData, reporter,
			types.ProviderStatus_PROVIDER_STATUS_ACTIVE, types.ProviderStatus_PROVIDER_STATUS_JAILED)
		if !ok {
			return nil, nil
		}
		if p.Locked.IsPositive() || p.Obligations > 0 {
			reporter.Skip("provider has locked collateral or obligations")
			return nil, nil
		}
		return []simsx.SimAccount{op}, &types.MsgUnbondProvider{Operator: op.AddressBech32}
	}
}
