package main

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// The claim phase's owners. An owner's rewards grow only when the reward
// pool's index moves (at most once a block, when fees have come in), so an
// owner's second claim in a block, or any claim with no fee in between,
// fails with nothing to claim: from the run's own accounts, 50 claims each,
// 77-86 % of the claims failed, and the phase measured mostly failures.
// Claimers are accounts of their own that each lock once in the setup,
// before the jobs pay their creation fees into the pool, and each claim
// once in the claim phase: a claim as a wallet makes it, with rewards to
// pay.
const (
	maxClaimers = 20_000
	claimerFund = 2 * lockAmount // the lock, with room; fees are zero on the localnet
)

// claimerCount is how many claimers a run sets up: as many claims as the
// other phases have transactions, at most maxClaimers.
func claimerCount(o *chainOptions) int { return min(o.accounts*o.perAccount, maxClaimers) }

// kindClaimerSend is the claim phase's bank send phase: one send by each
// claimer. By then the run's own accounts have signed every phase and are
// in every cache of the node; the claimers have not been read since the
// setup. A claim is compared with a send that reads as many accounts as
// cold as its own (see docs/bench-chain.md).
const kindClaimerSend = "bank send (claimers)"

// pairedSend is the bank send phase measured right before kind.
func pairedSend(kind string) string {
	if kind == kindClaim {
		return kindClaimerSend
	}
	return kindSend
}

// signers are the accounts that sign kind's transactions.
func (r *chainRun) signers(kind string) []*account {
	if kind == kindClaim || kind == kindClaimers || kind == kindClaimerSend {
		return r.claimers
	}
	return r.accs
}

// setupClaimers funds the claimers from alice and has each lock once.
func (r *chainRun) setupClaimers(ctx context.Context) error {
	r.claimers = derivedAccounts("aichain-bench-claimer", claimerCount(r.o))
	if err := fund(ctx, r.alice, r.claimers, claimerFund); err != nil {
		return fmt.Errorf("fund %d claimers from alice: %w", len(r.claimers), err)
	}
	if err := refresh(ctx, r.auth, r.claimers); err != nil {
		return err
	}
	fmt.Printf("funded %d claimers\n", len(r.claimers))
	_, _, err := r.phase(ctx, kindClaimers, func(i int) []sdk.Msg { return []sdk.Msg{lockMsg(r.claimers[i].bech)} })
	return err
}
