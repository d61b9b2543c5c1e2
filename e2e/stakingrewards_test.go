package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// srModuleAddr is a module account's aic1… address.
func srModuleAddr(t *testing.T, name string) string {
	t.Helper()
	s, err := bech32.ConvertAndEncode("aic", authtypes.NewModuleAddress(name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func srTxOK(t *testing.T, c *Chain, args ...string) TxResult {
	t.Helper()
	res := c.Tx(args...)
	okTx(t, strings.Join(args, " "), res)
	return res
}

func srEventAttr(res TxResult, typ, key string) string {
	for _, e := range res.Events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				return strings.Trim(a.Value, `"`)
			}
		}
	}
	return ""
}

// TestStakingRewardsLockClaimGovern is the acceptance on a real node:
// alice locks for the longest localnet tier (10m ×2.0) through the CLI; fees
// reach the reward pool (a bank send to the reward_pool module account, as
// the fee modules do); pending-rewards shows them over the CLI and REST; a
// claim pays them; and a params proposal voted only by alice passes with her
// lock weight as its whole Yes tally (the validator does not vote, and
// without the lock alice would have no power at all).
func TestStakingRewardsLockClaimGovern(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob")
	c.Start()
	alice := c.Addr("alice")
	pool := srModuleAddr(t, "reward_pool")

	// The localnet tiers are minutes; the longest is 10m ×2.
	var params struct {
		Params struct {
			LockTiers []struct {
				Duration   string `json:"duration"`
				Multiplier string `json:"multiplier"`
			} `json:"lock_tiers"`
			MinLockAmount string `json:"min_lock_amount"`
		} `json:"params"`
	}
	getJSON(t, c, "/aichain/stakingrewards/v1/params", &params)
	tiers := params.Params.LockTiers
	if len(tiers) != 4 || tiers[3].Duration != "600s" || !strings.HasPrefix(tiers[3].Multiplier, "2.0") {
		t.Fatalf("localnet tiers %+v, want 1m..10m with 10m ×2", tiers)
	}

	// Bad input is refused.
	res := c.Tx("stakingrewards", "lock", "100000000000uaic", "11m", "--from", "alice")
	rejected(t, "unknown tier", res, srtypes.ErrUnknownTier)

	// alice locks 100,000 AIC for the longest tier: weight 200,000 AIC.
	res = srTxOK(t, c, "stakingrewards", "lock", "100000000000uaic", "10m", "--from", "alice")
	lockID := srEventAttr(res, "aichain.stakingrewards.v1.EventLock", "lock_id")
	if lockID != "1" {
		t.Fatalf("lock id %q, want 1 (events %+v)", lockID, res.Events)
	}
	var locks struct {
		Locks []struct {
			ID     string `json:"id"`
			Owner  string `json:"owner"`
			Weight string `json:"weight"`
		} `json:"locks"`
	}
	getJSON(t, c, "/aichain/stakingrewards/v1/owners/"+alice+"/locks", &locks)
	if len(locks.Locks) != 1 || locks.Locks[0].Weight != "200000000000" || locks.Locks[0].Owner != alice {
		t.Fatalf("alice's locks %+v", locks.Locks)
	}
	var vp struct {
		LockWeight string `json:"lock_weight"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "stakingrewards", "voting-power", alice, "--output", "json")), &vp); err != nil {
		t.Fatal(err)
	}
	if vp.LockWeight != "200000000000" {
		t.Fatalf("voting power %+v", vp)
	}

	// Fees reach the reward pool.
	srTxOK(t, c, "bank", "send", "bob", pool, "1000000uaic", "--from", "bob")
	c.WaitBlocks(1)
	var pending struct {
		Rewards []struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"rewards"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "stakingrewards", "pending-rewards", alice, "--output", "json")), &pending); err != nil {
		t.Fatal(err)
	}
	if len(pending.Rewards) != 1 || pending.Rewards[0].Amount != "1000000" || pending.Rewards[0].Denom != "uaic" {
		t.Fatalf("CLI pending rewards %+v, want 1000000uaic", pending.Rewards)
	}
	pending.Rewards = nil
	getJSON(t, c, "/aichain/stakingrewards/v1/pending_rewards/"+alice, &pending)
	if len(pending.Rewards) != 1 || pending.Rewards[0].Amount != "1000000" {
		t.Fatalf("REST pending rewards %+v, want 1000000uaic", pending.Rewards)
	}

	// The claim pays them (the localnet's gas price is 0: no fee).
	before := c.restBalance(t, alice)
	res = srTxOK(t, c, "stakingrewards", "claim-rewards", "--from", "alice")
	after := c.restBalance(t, alice)
	if after.Sub(before).Int64() != 1_000_000 {
		t.Fatalf("alice's balance %s -> %s, want +1000000", before, after)
	}
	if got := c.restBalance(t, pool); !got.IsZero() {
		t.Fatalf("reward pool keeps %s after the claim, want 0", got)
	}
	// Nothing left: a second claim is refused.
	res = c.Tx("stakingrewards", "claim-rewards", "--from", "alice")
	rejected(t, "second claim", res, srtypes.ErrNoRewards)

	// Governance: a params proposal voted by alice alone.
	id := c.SubmitProposal("alice", "Raise the minimum lock", map[string]any{
		"@type":     "/aichain.stakingrewards.v1.MsgUpdateParams",
		"authority": srModuleAddr(t, "gov"),
		"params": map[string]any{
			"lock_tiers":                tiers,
			"lock_denom":                "uaic",
			"min_lock_amount":           "2000000",
			"max_locks_per_owner":       100,
			"max_withdrawals_per_block": 100,
			"min_vote_lock_duration":    "120s",
		},
	})
	srTxOK(t, c, "gov", "vote", id, "yes", "--from", "alice")
	var prop struct{ Proposal Proposal }
	prop.Proposal = c.WaitProposal(id, 120*time.Second)
	if prop.Proposal.Status != "PROPOSAL_STATUS_PASSED" {
		t.Fatalf("proposal %s: %s (tally %+v, %s), want PASSED", id, prop.Proposal.Status, prop.Proposal.FinalTallyResult, prop.Proposal.FailedReason)
	}
	if prop.Proposal.FinalTallyResult.YesCount != "200000000000" {
		t.Fatalf("yes tally %s, want alice's lock weight 200000000000", prop.Proposal.FinalTallyResult.YesCount)
	}
	getJSON(t, c, "/aichain/stakingrewards/v1/params", &params)
	if params.Params.MinLockAmount != "2000000" {
		t.Fatalf("min_lock_amount %s after the proposal, want 2000000", params.Params.MinLockAmount)
	}

	// alice begins unlocking: her weight drops to zero at once.
	srTxOK(t, c, "stakingrewards", "begin-unlock", lockID, "--from", "alice")
	res = c.Tx("stakingrewards", "withdraw", lockID, "--from", "alice")
	rejected(t, "early withdraw", res, srtypes.ErrNotMatured)
	var totals struct {
		Totals struct {
			Weight    string `json:"weight"`
			Unlocking string `json:"unlocking"`
		} `json:"totals"`
	}
	getJSON(t, c, "/aichain/stakingrewards/v1/totals", &totals)
	if totals.Totals.Weight != "0" || totals.Totals.Unlocking != "100000000000" {
		t.Fatalf("totals after begin-unlock %+v", totals.Totals)
	}

	// Amino JSON signing (Ledger, browser wallets) works for the Msgs.
	srTxOK(t, c, "stakingrewards", "lock", "2000000uaic", "1m", "--from", "bob", "--sign-mode", "amino-json")
	srTxOK(t, c, "stakingrewards", "begin-unlock", "2", "--from", "bob", "--sign-mode", "amino-json")
}
