// Package keeper holds x/compute's state and logic: providers, job auctions,
// escrow, results, sampling, verification tallies, settlement and slashing.
package keeper

import (
	"context"
	"fmt"
	"sort"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// HeightQueue is a queue of job ids keyed by (height, job id).
type HeightQueue = modkit.Queue[int64, uint64]

// ProviderIndexes index providers by status.
type ProviderIndexes struct {
	Status *indexes.Multi[int32, string, types.Provider]
}

// IndexesList implements collections.Indexes.
func (i ProviderIndexes) IndexesList() []collections.Index[string, types.Provider] {
	return []collections.Index[string, types.Provider]{i.Status}
}

// JobIndexes index jobs by state, requester and provider (winner; a job
// not awarded has no entry: no query asks for "", see NewSparseMulti).
type JobIndexes struct {
	State     *indexes.Multi[int32, uint64, types.Job]
	Requester *indexes.Multi[string, uint64, types.Job]
	Provider  modkit.SparseMulti[string, uint64, types.Job]
}

// IndexesList implements collections.Indexes.
func (i JobIndexes) IndexesList() []collections.Index[uint64, types.Job] {
	return []collections.Index[uint64, types.Job]{i.State, i.Requester, i.Provider}
}

// Keeper is the compute module's keeper. All state lives in the collections below.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService store.KVStoreService
	authority    string
	addressCodec address.Codec
	// escrowAddr and poolAddr are the compute and reward pool module
	// accounts' addresses, in bech32: what a job's creation pays to.
	escrowAddr, poolAddr string

	AccountKeeper types.AccountKeeper
	BankKeeper    types.BankKeeper
	// ModelKeeper and DatasetKeeper may be nil: jobs naming a model or dataset are then refused.
	ModelKeeper   types.ModelKeeper
	DatasetKeeper types.DatasetKeeper
	// StakingKeeper maps a validator to its consensus address (beacon keys)
	// and a consensus address to its operator (verification fees).
	StakingKeeper types.StakingKeeper

	Schema     collections.Schema
	Params     collections.Item[types.Params]
	Providers  *collections.IndexedMap[string, types.Provider, ProviderIndexes]
	JobSeq     collections.Sequence
	Jobs       *collections.IndexedMap[uint64, types.Job, JobIndexes]
	BidCommits collections.Map[collections.Pair[uint64, string], types.BidCommit]
	Bids       collections.Map[collections.Pair[uint64, string], types.Bid]

	CommitEndQueue       HeightQueue
	RevealEndQueue       HeightQueue
	ExecDeadlineQueue    HeightQueue
	ChallengeEndQueue    HeightQueue
	VerificationEndQueue HeightQueue
	SampleQueue          HeightQueue
	PruneQueue           HeightQueue
	UnbondingQueue       modkit.Queue[int64, string]
	// QueueHeads holds the head of each queue above (modkit.QueueHeads).
	QueueHeads modkit.QueueHeads

	// PendingChecks holds the jobs under a sidecar check (VERIFYING or
	// ABORTING), kept by saveJob.
	PendingChecks collections.KeySet[uint64]

	Tallies collections.Map[uint64, types.VerificationTally]
	// Voters holds each validator's verdict on a job under check (its
	// types.Verdict), by job and consensus address.
	Voters collections.Map[collections.Pair[uint64, []byte], int32]
	// Counted holds the counted verdicts (the verification fee's payees) of
	// a job under check with a fee, by job, counting height and consensus
	// address: the order they were counted and are paid in. A closed job
	// keeps them in its record (Job.counted_verdicts).
	Counted collections.Map[collections.Triple[uint64, int64, []byte], types.CountedVerdict]
	Stats   collections.Item[types.Stats]
	// ModelBonds holds the model owners' availability bonds (model_bond.go).
	ModelBonds collections.Map[sdk.AccAddress, types.ModelBond]
	// VerifierEndpoints holds each validator's verification sidecar URL,
	// by operator address (verifier_endpoint.go).
	VerifierEndpoints collections.Map[sdk.ValAddress, string]

	// The sampling beacon (beacon_store.go).
	beaconStore
	// SetSize is the number of validators of the last injected commit's
	// set (recordSetSize; verdictgas.go).
	SetSize collections.Item[uint64]

	// Read-only views of the Multi indexes' key sets (modkit.IndexView: same
	// prefixes and key codecs), which the queries page through by reference.
	providersByStatus collections.KeySet[collections.Pair[int32, string]]
	jobsByState       collections.KeySet[collections.Pair[int32, uint64]]
	jobsByRequester   collections.KeySet[collections.Pair[string, uint64]]
	jobsByProvider    collections.KeySet[collections.Pair[string, uint64]]
	// jobsRaw is the Jobs map without its indexes (jobstore.go keeps them).
	jobsRaw collections.Map[uint64, types.Job]
}

// NewKeeper builds the keeper; the address codec is the AccountKeeper's.
// modelKeeper and datasetKeeper may be nil: jobs naming a model or a dataset
// are then refused. authority may change the params (the gov module).
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService store.KVStoreService,
	ak types.AccountKeeper,
	bk types.BankKeeper,
	modelKeeper types.ModelKeeper,
	datasetKeeper types.DatasetKeeper,
	stakingKeeper types.StakingKeeper,
	authority string,
) Keeper {
	if ak.GetModuleAddress(types.ModuleName) == nil {
		panic(fmt.Sprintf("the %s module account has not been set", types.ModuleName))
	}
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Errorf("invalid compute authority %q: %w", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	heads := modkit.NewQueueHeads(sb, types.QueueHeadsKey)
	heightQueue := func(prefix collections.Prefix, name string) HeightQueue {
		return modkit.NewQueue(sb, prefix, name, heads, collections.Int64Key, collections.Uint64Key)
	}
	k := Keeper{
		cdc:           cdc,
		storeService:  storeService,
		authority:     authority,
		addressCodec:  ak.AddressCodec(),
		AccountKeeper: ak,
		BankKeeper:    bk,
		ModelKeeper:   modelKeeper,
		DatasetKeeper: datasetKeeper,
		StakingKeeper: stakingKeeper,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Providers:     newProviders(sb, cdc),
		JobSeq:        collections.NewSequence(sb, types.JobSeqKey, "job_seq"),
		Jobs:          newJobs(sb, cdc),
		BidCommits: collections.NewMap(sb, types.BidCommitsKey, "bid_commits",
			collections.PairKeyCodec(collections.Uint64Key, collections.StringKey), codec.CollValue[types.BidCommit](cdc)),
		Bids: collections.NewMap(sb, types.BidsKey, "bids",
			collections.PairKeyCodec(collections.Uint64Key, collections.StringKey), codec.CollValue[types.Bid](cdc)),
		CommitEndQueue:       heightQueue(types.CommitEndQueueKey, "commit_end_queue"),
		RevealEndQueue:       heightQueue(types.RevealEndQueueKey, "reveal_end_queue"),
		ExecDeadlineQueue:    heightQueue(types.ExecDeadlineQueueKey, "exec_deadline_queue"),
		ChallengeEndQueue:    heightQueue(types.ChallengeEndQueueKey, "challenge_end_queue"),
		VerificationEndQueue: heightQueue(types.VerificationEndQueueKey, "verification_end_queue"),
		SampleQueue:          heightQueue(types.SampleQueueKey, "sample_queue"),
		PruneQueue:           heightQueue(types.PruneQueueKey, "prune_queue"),
		PendingChecks:        collections.NewKeySet(sb, types.PendingChecksKey, "pending_checks", collections.Uint64Key),
		UnbondingQueue:       modkit.NewQueue(sb, types.UnbondingQueueKey, "unbonding_queue", heads, collections.Int64Key, collections.StringKey),
		QueueHeads:           heads,
		Tallies: collections.NewMap(sb, types.TalliesKey, "tallies", collections.Uint64Key,
			codec.CollValue[types.VerificationTally](cdc)),
		Voters: collections.NewMap(sb, types.VotersKey, "voters",
			collections.PairKeyCodec(collections.Uint64Key, collections.BytesKey), collections.Int32Value),
		Counted: collections.NewMap(sb, types.CountedKey, "counted",
			collections.TripleKeyCodec(collections.Uint64Key, collections.Int64Key, collections.BytesKey),
			codec.CollValue[types.CountedVerdict](cdc)),
		Stats:       collections.NewItem(sb, types.StatsKey, "stats", codec.CollValue[types.Stats](cdc)),
		beaconStore: newBeaconStore(sb, cdc),
		SetSize:     collections.NewItem(sb, types.SetSizeKey, "set_size", collections.Uint64Value),
		ModelBonds: collections.NewMap(sb, types.ModelBondsKey, "model_bonds", sdk.AccAddressKey,
			codec.CollValue[types.ModelBond](cdc)),
		VerifierEndpoints: collections.NewMap(sb, types.VerifierEndpointsKey, "verifier_endpoints", sdk.ValAddressKey,
			collections.StringValue),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	k.setViews(storeService, cdc)
	k.escrowAddr, k.poolAddr = k.moduleBech32(types.ModuleName), k.moduleBech32(common.RewardPoolName)
	return k
}

// setViews sets the read-only views of the indexes and of the jobs' storage.
func (k *Keeper) setViews(storeService store.KVStoreService, cdc codec.BinaryCodec) {
	k.providersByStatus = modkit.IndexView(storeService, types.ProvidersByStatusKey, "providers_by_status",
		collections.Int32Key, collections.StringKey)
	k.jobsByState = modkit.IndexView(storeService, types.JobsByStateKey, "jobs_by_state", collections.Int32Key, collections.Uint64Key)
	k.jobsByRequester = modkit.IndexView(storeService, types.JobsByRequesterKey, "jobs_by_requester",
		collections.StringKey, collections.Uint64Key)
	k.jobsByProvider = modkit.IndexView(storeService, types.JobsByProviderKey, "jobs_by_provider",
		collections.StringKey, collections.Uint64Key)
	k.jobsRaw = jobsView(storeService, cdc)
}

// moduleBech32 is a module account's address in the chain's bech32 form.
func (k Keeper) moduleBech32(name string) string {
	s, err := modkit.ModuleBech32(k.addressCodec, name)
	if err != nil {
		panic(fmt.Errorf("module account %s address: %w", name, err))
	}
	return s
}

// newProviders declares the providers, indexed by status.
func newProviders(sb *collections.SchemaBuilder, cdc codec.BinaryCodec) *collections.IndexedMap[string, types.Provider, ProviderIndexes] {
	return collections.NewIndexedMap(sb, types.ProvidersKey, "providers", collections.StringKey,
		codec.CollValue[types.Provider](cdc), ProviderIndexes{
			Status: indexes.NewMulti(sb, types.ProvidersByStatusKey, "providers_by_status",
				collections.Int32Key, collections.StringKey,
				func(_ string, p types.Provider) (int32, error) { return int32(p.Status), nil }),
		})
}

// newJobs declares the jobs, indexed by state, requester and winner.
func newJobs(sb *collections.SchemaBuilder, cdc codec.BinaryCodec) *collections.IndexedMap[uint64, types.Job, JobIndexes] {
	return collections.NewIndexedMap(sb, types.JobsKey, "jobs", collections.Uint64Key,
		codec.CollValue[types.Job](cdc), JobIndexes{
			State: indexes.NewMulti(sb, types.JobsByStateKey, "jobs_by_state",
				collections.Int32Key, collections.Uint64Key,
				func(_ uint64, j types.Job) (int32, error) { return int32(j.State), nil }),
			Requester: indexes.NewMulti(sb, types.JobsByRequesterKey, "jobs_by_requester",
				collections.StringKey, collections.Uint64Key,
				func(_ uint64, j types.Job) (string, error) { return j.Requester, nil }),
			Provider: modkit.NewSparseMulti(sb, types.JobsByProviderKey, "jobs_by_provider",
				collections.StringKey, collections.Uint64Key,
				func(_ uint64, j types.Job) (string, error) { return j.Winner, nil }),
		})
}

// GetAuthority returns the address allowed to change params (the gov module).
func (k Keeper) GetAuthority() string { return k.authority }

// addrString is an address in the address codec's (canonical) form, as the
// module stores it.
func (k Keeper) addrString(a sdk.AccAddress) (string, error) {
	s, err := k.addressCodec.BytesToString(a)
	if err != nil {
		return "", types.ErrInvalidAddress.Wrapf("%X: %v", []byte(a), err)
	}
	return s, nil
}

// accAddress decodes a stored address (a job's requester or winner, a provider).
func (k Keeper) accAddress(field, s string) (sdk.AccAddress, error) {
	return modkit.Signer(k.addressCodec, field, s, types.ErrInvalidAddress)
}

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// GetParams returns the current params.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

// UpdateParams validates and stores new params, the authority's change (the
// Msg server checks the signer), and emits EventParamsUpdated. The bond
// denom (min_provider_bond's, which bid_deposit, job_creation_fee and
// verification_fee_per_sample share) may change only while no provider is
// registered and no job is stored: every stored job's terms keep a
// bid_deposit in it and every provider's bond is in it, so a vote moving it
// left existing providers unable to bid and the chain's own export
// refused on import (TestAttackBondDenomChangeBreaksExportReimport), as
// x/staking-rewards refuses a change of lock_denom while locks exist.
func (k Keeper) UpdateParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := k.checkBondDenomChange(ctx, p.MinProviderBond.Denom); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, p); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventParamsUpdated{Authority: k.authority})
}

// ---- stats helpers

func (k Keeper) getStats(ctx context.Context) (types.Stats, error) {
	s, err := k.Stats.Get(ctx)
	if err != nil && !isNotFound(err) {
		return s, err
	}
	return s, nil
}

// addStateCount adds delta to a state's job counter. The list stays sorted by
// state without zero entries, so that it has one canonical form.
func addStateCount(s *types.Stats, st types.JobState, delta int64) {
	for i := range s.JobsPerState {
		if s.JobsPerState[i].State == st {
			n := int64(s.JobsPerState[i].Count) + delta
			if n <= 0 {
				s.JobsPerState = append(s.JobsPerState[:i], s.JobsPerState[i+1:]...)
				return
			}
			s.JobsPerState[i].Count = uint64(n)
			return
		}
	}
	if delta <= 0 {
		return
	}
	i := sort.Search(len(s.JobsPerState), func(i int) bool { return s.JobsPerState[i].State > st })
	s.JobsPerState = append(s.JobsPerState, types.StateCount{})
	copy(s.JobsPerState[i+1:], s.JobsPerState[i:])
	s.JobsPerState[i] = types.StateCount{State: st, Count: uint64(delta)}
}

func providerWeight(p *types.Provider) (uint64, uint64) {
	if p == nil || p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		return 0, 0
	}
	return 1, uint64(p.Hardware.GpuCount)
}

// saveProvider writes p and keeps the active-provider and GPU counters right;
// old is the stored value before the change (nil for a new provider). Bond
// the change left free first pays any slash p owes (collectSlashOwed).
func (k Keeper) saveProvider(ctx context.Context, old *types.Provider, p types.Provider) error {
	if err := k.collectSlashOwed(ctx, &p); err != nil {
		return err
	}
	if err := k.Providers.Set(ctx, p.Address, p); err != nil {
		return err
	}
	oa, og := providerWeight(old)
	na, ng := providerWeight(&p)
	if oa == na && og == ng {
		return nil
	}
	s, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	s.ActiveProviders = s.ActiveProviders + na - oa
	s.GpusOnline = s.GpusOnline + ng - og
	return k.Stats.Set(ctx, s)
}

// trackCheck keeps PendingChecks: a job enters it when it starts a check
// (VERIFYING or ABORTING) and leaves it when the check ends.
func (k Keeper) trackCheck(ctx context.Context, from types.JobState, j types.Job) error {
	switch was, is := from.UnderCheck(), j.State.UnderCheck(); {
	case is && !was:
		return k.PendingChecks.Set(ctx, j.Id)
	case was && !is:
		return k.PendingChecks.Remove(ctx, j.Id)
	}
	return nil
}

// removeProvider deletes p and its counters.
func (k Keeper) removeProvider(ctx context.Context, p types.Provider) error {
	if err := k.Providers.Remove(ctx, p.Address); err != nil {
		return err
	}
	a, g := providerWeight(&p)
	if a == 0 && g == 0 {
		return nil
	}
	s, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	s.ActiveProviders -= a
	s.GpusOnline -= g
	return k.Stats.Set(ctx, s)
}

// saveJob writes j, keeping the per-state counters and the set of jobs
// under check right and emitting a state-change event when from differs from
// j.State (from is UNSPECIFIED for a new job).
func (k Keeper) saveJob(ctx context.Context, from types.JobState, j types.Job) error {
	if err := k.putJob(ctx, j); err != nil {
		return err
	}
	if from == j.State {
		return nil
	}
	return k.countJobState(ctx, from, j, nil)
}

// insertJob writes a new job j, whose id JobSeq has just given (nothing is
// stored under it: genesis keeps every job id below next_job_id), with its
// index entries but without putJob's read of a stored job, and counts it
// and the protocol share it paid (its creation fee) in one Stats write.
func (k Keeper) insertJob(ctx context.Context, j types.Job, protocol sdk.Coins) error {
	if err := modkit.InsertIndexed(ctx, k.Jobs, k.jobsRaw, j.Id, j); err != nil {
		return err
	}
	return k.countJobState(ctx, types.JobState_JOB_STATE_UNSPECIFIED, j, protocol)
}

// countJobState records j's move from state from (UNSPECIFIED for a new
// job; from differs from j.State): the set of jobs under check, the
// per-state counters (with protocol added to the protocol share, in the
// same write) and the state-change event.
func (k Keeper) countJobState(ctx context.Context, from types.JobState, j types.Job, protocol sdk.Coins) error {
	if err := k.trackCheck(ctx, from, j); err != nil {
		return err
	}
	s, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	if from != types.JobState_JOB_STATE_UNSPECIFIED {
		addStateCount(&s, from, -1)
	}
	addStateCount(&s, j.State, 1)
	if !protocol.IsZero() {
		s.ProtocolShare = s.ProtocolShare.Add(protocol...)
	}
	if err := k.Stats.Set(ctx, s); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventJobStateChanged{JobId: j.Id, From: from, To: j.State})
}

func (k Keeper) addStatsCoins(ctx context.Context, paid, protocol, burned sdk.Coins) error {
	s, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	s.FeesPaid = s.FeesPaid.Add(paid...)
	s.ProtocolShare = s.ProtocolShare.Add(protocol...)
	s.SlashedBurned = s.SlashedBurned.Add(burned...)
	return k.Stats.Set(ctx, s)
}

// addFeesBurned adds to the stats' verification_fees_burned.
func (k Keeper) addFeesBurned(ctx context.Context, burned sdk.Coins) error {
	s, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	s.VerificationFeesBurned = s.VerificationFeesBurned.Add(burned...)
	return k.Stats.Set(ctx, s)
}

// GetJob returns a job or ErrJobNotFound.
func (k Keeper) GetJob(ctx context.Context, id uint64) (types.Job, error) {
	j, err := k.Jobs.Get(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return j, types.ErrJobNotFound.Wrapf("job %d", id)
		}
		return j, err
	}
	return j, nil
}

// GetProvider returns a provider or ErrProviderNotFound.
func (k Keeper) GetProvider(ctx context.Context, addr string) (types.Provider, error) {
	p, err := k.Providers.Get(ctx, addr)
	if err != nil {
		if isNotFound(err) {
			return p, types.ErrProviderNotFound.Wrapf("provider %s", addr)
		}
		return p, err
	}
	return p, nil
}
