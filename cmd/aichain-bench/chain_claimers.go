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

// claimerCount is how many claimers a run sets up: two halves, each of as
// many accounts as the other phases have transactions (at most
// maxClaimers/2).
func claimerCount(o *chainOptions) int { return 2 * min(o.accounts*o.perAccount, maxClaimers/2) }

// kindClaimerSend is the claim phase's bank send phase: one send by each
// claimer of the first half; the claims come from the second half. By then
// the run's own accounts have signed every phase and are in every cache of
// the node, and a send from 10,000 accounts not read since the setup cost
// 1.3-1.6 × one from the 200; and whichever phase first read the same
// claimers would pay for both (the claimers' sends once cost 3,989 µs of
// node CPU, and the claims after them, on warm accounts, 3,387). Two
// halves, each read cold by its own phase, compare like with like.
const kindClaimerSend = "bank send (claimers)"

// pairedSend is the bank send phase measured right before kind.
func pairedSend(kind string) string {
	if kind == kindClaim {
		return kindClaimerSend
	}
	return kindSend
}

// signers are the accounts that sign kind's transactions: the run's
// accounts, or of the claimers the first half for their sends, the second
// half for the claims, all of them for the setup's locks.
func (r *chainRun) signers(kind string) []*account {
	h := len(r.claimers) / 2
	switch kind {
	case kindClaimerSend:
		return r.claimers[:h]
	case kindClaim:
		return r.claimers[h:]
	case kindClaimers:
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
