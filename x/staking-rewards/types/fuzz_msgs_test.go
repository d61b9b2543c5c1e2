package types_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/testutil/msgfuzz"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// The chain's account prefix (the other tests of the package derive their
// addresses from the config, so they follow it).
func init() {
	sdk.GetConfig().SetBech32PrefixForAccount("aic", "aicpub")
}

func FuzzMsgsDecodeValidate(f *testing.F) { fuzzHarness.Fuzz(f, fuzzSeeds(f)) }

// TestFuzzMsgsSeeds runs every seed through the fuzz check, and checks that
// ValidateBasic accepts the valid ones and refuses the invalid ones.
func TestFuzzMsgsSeeds(t *testing.T) { fuzzHarness.TestSeeds(t, fuzzSeeds(t)) }

// fuzzHarness decodes fuzz inputs as the module's Msgs.
var fuzzHarness = &msgfuzz.Harness{
	Codespace: types.ModuleName, AminoPrefix: "aichain/stakingrewards/", Assert: assertValid,
	RegisterAmino: types.RegisterLegacyAminoCodec, RegisterInterfaces: types.RegisterInterfaces,
	Msgs: []msgfuzz.Msg{ // the order of the inputs' selector byte: append only
		&types.MsgLock{}, &types.MsgExtendLock{}, &types.MsgBeginUnlock{}, &types.MsgWithdraw{},
		&types.MsgClaimRewards{}, &types.MsgUpdateParams{},
	},
}

func fuzzSeeds(t testing.TB) []msgfuzz.Seed {
	a := msgfuzz.Addr(t, 1)
	coin := sdk.NewInt64Coin("uaic", 5_000_000)
	badTiers := types.DefaultParams()
	badTiers.LockTiers[1].Duration = badTiers.LockTiers[0].Duration
	return []msgfuzz.Seed{
		msgfuzz.Valid(&types.MsgLock{Owner: a, Amount: coin, Duration: 30 * 24 * time.Hour}),
		msgfuzz.Valid(&types.MsgExtendLock{Owner: a, LockId: 1, Duration: 90 * 24 * time.Hour}),
		msgfuzz.Valid(&types.MsgBeginUnlock{Owner: a, LockId: 1}),
		msgfuzz.Valid(&types.MsgWithdraw{Owner: a, LockId: 1}),
		msgfuzz.Valid(&types.MsgClaimRewards{Owner: a}),
		msgfuzz.Valid(&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()}),
		// Invalid ones.
		msgfuzz.Invalid(&types.MsgLock{Owner: a, Amount: sdk.Coin{Denom: "uaic", Amount: math.NewInt(-5)}, Duration: time.Hour}),
		msgfuzz.Invalid(&types.MsgLock{Owner: a, Amount: coin, Duration: -time.Hour}),
		msgfuzz.Invalid(&types.MsgExtendLock{Owner: a, LockId: 1}),
		msgfuzz.Invalid(&types.MsgBeginUnlock{Owner: a}),
		msgfuzz.Invalid(&types.MsgClaimRewards{Owner: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a"}),
		msgfuzz.Invalid(&types.MsgUpdateParams{Authority: a, Params: badTiers}),
		msgfuzz.Invalid(&types.MsgUpdateParams{Authority: a}),
	}
}

func assertLockID(t testing.TB, id uint64) {
	if id == 0 {
		t.Fatal("lock_id 0 accepted")
	}
}

// assertValid checks what ValidateBasic promises for an accepted Msg.
func assertValid(t testing.TB, msg msgfuzz.Msg, signer []byte) {
	switch m := msg.(type) {
	case *types.MsgLock:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if !m.Amount.IsValid() || !m.Amount.IsPositive() || m.Duration <= 0 {
			t.Fatalf("lock of %s for %s accepted", m.Amount, m.Duration)
		}
	case *types.MsgExtendLock:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		assertLockID(t, m.LockId)
		if m.Duration <= 0 {
			t.Fatalf("duration %s accepted", m.Duration)
		}
	case *types.MsgBeginUnlock:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		assertLockID(t, m.LockId)
	case *types.MsgWithdraw:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		assertLockID(t, m.LockId)
	case *types.MsgClaimRewards:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
	case *types.MsgUpdateParams:
		msgfuzz.AssertAic(t, "authority", m.Authority, signer)
		p := m.Params
		if err := p.Validate(); err != nil {
			t.Fatalf("params accepted: %v", err)
		}
		if len(p.LockTiers) == 0 || len(p.LockTiers) > types.MaxLockTiers || p.MinLockAmount.IsNil() || !p.MinLockAmount.IsPositive() {
			t.Fatalf("params %+v accepted", p)
		}
		for i, tier := range p.LockTiers {
			if tier.Duration <= 0 || tier.Multiplier.IsNil() || !tier.Multiplier.IsPositive() || tier.Multiplier.GT(types.MaxMultiplier) {
				t.Fatalf("tier %d %+v accepted", i, tier)
			}
			if i > 0 && (tier.Duration <= p.LockTiers[i-1].Duration || tier.Multiplier.LT(p.LockTiers[i-1].Multiplier)) {
				t.Fatalf("tiers out of order accepted: %+v", p.LockTiers)
			}
			if got, ok := p.Tier(tier.Duration); !ok || got.Duration != tier.Duration {
				t.Fatalf("tier %s not found by Tier", tier.Duration)
			}
		}
		if err := sdk.ValidateDenom(p.LockDenom); err != nil {
			t.Fatalf("lock_denom %q accepted", p.LockDenom)
		}
	default:
		t.Fatalf("no properties for %T", msg)
	}
}
