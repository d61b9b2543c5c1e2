package ve

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/log"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// VerdictSink receives one block's tallied verdicts (x/compute's keeper).
type VerdictSink interface {
	ApplyVerdicts(ctx context.Context, totalPower int64, votes []computetypes.ValidatorVerdicts) error
}

// PreBlocker wraps the app's pre-blocker: after the modules' pre-blockers
// (upgrades first), it hands the verdicts of the injected extended commit to
// x/compute, each validator weighed by its power in that commit, which is the
// validator set of the height that signed them (connect#512).
type PreBlocker struct {
	logger     log.Logger
	sink       VerdictSink
	beacon     BeaconSink // nil: beacon shares are not recorded
	injections Injections
	next       sdk.PreBlocker
}

// BeaconSink records one block's beacon shares (x/compute's keeper).
type BeaconSink interface {
	RecordBeacon(ctx context.Context, set []computetypes.BeaconVoter, votes []computetypes.ValidatorShares) error
}

// WithBeacon makes the pre-blocker hand each injected commit's validator set
// and beacon shares to b, which verifies and records them.
func (p *PreBlocker) WithBeacon(b BeaconSink) *PreBlocker {
	p.beacon = b
	return p
}

// NewPreBlocker wraps next.
func NewPreBlocker(logger log.Logger, sink VerdictSink, injections Injections, next sdk.PreBlocker) *PreBlocker {
	return &PreBlocker{logger: logger.With("module", "ve"), sink: sink, injections: injections, next: next}
}

// PreBlock runs the wrapped pre-blocker, then applies the verdicts. A block
// that got here passed ProcessProposal on 2/3 of the validators (or is being
// replayed), so a bad injection is skipped with a log line, never a halt.
// It reads transaction 0 when that may be an injection (mayHoldInjection):
// ProcessProposal requires one there exactly when the block carries one
// (CarriesInjection) and refuses one anywhere else, so this agrees with it
// on every committed block, the first of a chain restarted at a later
// initial height included (its transaction 0 is a user's), and needs no
// LastCommit in the context.
func (p *PreBlocker) PreBlock() sdk.PreBlocker {
	return func(ctx sdk.Context, req *abci.RequestFinalizeBlock) (resp *sdk.ResponsePreBlock, err error) {
		resp, err = p.next(ctx, req)
		if err != nil {
			return resp, err
		}
		if !ExtensionsEnabled(ctx, req.Height) || len(req.Txs) == 0 || !mayHoldInjection(req.Txs[0]) {
			return resp, nil
		}
		_, eci, err := p.injections.Decode(req.Txs[0])
		if err != nil {
			p.logger.Error("skipping the verdicts and beacon shares of this block", "height", req.Height, "err", err)
			return resp, nil
		}
		p.recordBeacon(ctx, req.Height, eci)
		total, votes, err := TallyCommit(eci)
		if err != nil {
			p.logger.Error("skipping the verdicts of this block", "height", req.Height, "err", err)
			return resp, nil
		}
		if len(votes) == 0 {
			return resp, nil
		}
		for _, v := range votes {
			countVerdicts("verdicts_tallied", v.Verdicts)
		}
		// Apply in a cache so that a failing keeper call leaves no partial write.
		cache, write := ctx.CacheContext()
		if err := p.safeApply(cache, total, votes); err != nil {
			p.logger.Error("x/compute refused this block's verdicts", "height", req.Height, "err", err)
			return resp, nil
		}
		write()
		return resp, nil
	}
}

func (p *PreBlocker) safeApply(ctx sdk.Context, total int64, votes []computetypes.ValidatorVerdicts) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in ApplyVerdicts: %v", r)
		}
	}()
	return p.sink.ApplyVerdicts(ctx, total, votes)
}

// recordBeacon hands the commit's validator set and beacon shares to the
// beacon sink in a cache context: an error or panic is logged, never a halt.
func (p *PreBlocker) recordBeacon(ctx sdk.Context, height int64, eci abci.ExtendedCommitInfo) {
	if p.beacon == nil {
		return
	}
	set, shares := BeaconInputs(eci)
	cache, write := ctx.CacheContext()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic in RecordBeacon: %v", r)
			}
		}()
		return p.beacon.RecordBeacon(cache, set, shares)
	}()
	if err != nil {
		p.logger.Error("x/compute refused this block's beacon shares", "height", height, "err", err)
		return
	}
	write()
}

// BeaconInputs returns a commit's validator set (every vote, absent ones
// too, with its power) and the beacon shares of the committing validators
// whose extensions keep the rules (unverified: RecordBeacon verifies).
func BeaconInputs(eci abci.ExtendedCommitInfo) ([]computetypes.BeaconVoter, []computetypes.ValidatorShares) {
	set := make([]computetypes.BeaconVoter, 0, len(eci.Votes))
	var votes []computetypes.ValidatorShares
	for _, v := range eci.Votes {
		set = append(set, computetypes.BeaconVoter{ConsAddress: v.Validator.Address, Power: v.Validator.Power})
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit || len(v.VoteExtension) == 0 {
			continue
		}
		shares, err := DecodeBeaconShares(v.VoteExtension)
		if err != nil || len(shares) == 0 {
			continue
		}
		votes = append(votes, computetypes.ValidatorShares{ConsAddress: v.Validator.Address, Shares: shares})
	}
	return set, votes
}

// Tally decodes an injected extended commit into each committing
// validator's verdicts and power, and the total power of the commit
// (TallyCommit).
func (in Injections) Tally(tx []byte) (int64, []computetypes.ValidatorVerdicts, error) {
	_, eci, err := in.Decode(tx)
	if err != nil {
		return 0, nil, err
	}
	return TallyCommit(eci)
}

// TallyCommit returns every validator of the commit's set with its power
// and, for one that signed the commit with an extension, its verdicts (none
// otherwise), and the total power of the commit: x/compute tallies a job
// from its voters' powers in this one commit (ApplyVerdicts), so it needs
// the power of a validator that voted in an earlier block and not in this
// one. Malformed extensions (which ProcessProposal rejects) are skipped,
// and so are verdicts of kinds this binary does not know (a newer format's).
func TallyCommit(eci abci.ExtendedCommitInfo) (int64, []computetypes.ValidatorVerdicts, error) {
	var total int64
	votes := make([]computetypes.ValidatorVerdicts, 0, len(eci.Votes))
	for _, v := range eci.Votes {
		if v.Validator.Power < 0 {
			return 0, nil, fmt.Errorf("%w: negative power", ErrMalformedInjection)
		}
		total += v.Validator.Power
		if v.Validator.Power == 0 {
			continue
		}
		entry := computetypes.ValidatorVerdicts{ConsAddress: v.Validator.Address, Power: v.Validator.Power}
		if v.BlockIdFlag == cmtproto.BlockIDFlagCommit && len(v.VoteExtension) > 0 {
			if verdicts, err := DecodeExtension(v.VoteExtension); err == nil {
				entry.Verdicts = KnownVerdicts(verdicts)
			}
		}
		votes = append(votes, entry)
	}
	return total, votes, nil
}
