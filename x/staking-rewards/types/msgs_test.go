package types_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// addr is a valid address under the configured bech32 prefix.
func addr(t testing.TB) string {
	s, err := bech32.ConvertAndEncode(sdk.GetConfig().GetBech32AccountAddrPrefix(), make([]byte, 20))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidateBasic(t *testing.T) {
	owner := addr(t)
	good := &types.MsgLock{Owner: owner, Amount: sdk.NewInt64Coin("uaic", 5), Duration: time.Hour}
	if err := good.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]sdk.HasValidateBasic{
		"lock zero":       &types.MsgLock{Owner: owner, Amount: sdk.NewInt64Coin("uaic", 0), Duration: time.Hour},
		"lock no tier":    &types.MsgLock{Owner: owner, Amount: sdk.NewInt64Coin("uaic", 5)},
		"lock bad owner":  &types.MsgLock{Owner: "x", Amount: sdk.NewInt64Coin("uaic", 5), Duration: time.Hour},
		"extend id 0":     &types.MsgExtendLock{Owner: owner, Duration: time.Hour},
		"extend no tier":  &types.MsgExtendLock{Owner: owner, LockId: 1},
		"unlock id 0":     &types.MsgBeginUnlock{Owner: owner},
		"withdraw id 0":   &types.MsgWithdraw{Owner: owner},
		"claim bad owner": &types.MsgClaimRewards{Owner: "aic1xyz"},
		"params invalid":  &types.MsgUpdateParams{Authority: owner},
	} {
		if err := m.ValidateBasic(); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// TestAminoNames checks that every Msg is registered under the amino name its
// proto declares.
func TestAminoNames(t *testing.T) {
	cdc := codec.NewLegacyAmino()
	types.RegisterLegacyAminoCodec(cdc)
	for name, m := range map[string]sdk.Msg{
		"aichain/stakingrewards/MsgLock":         &types.MsgLock{Amount: sdk.NewInt64Coin("uaic", 1)},
		"aichain/stakingrewards/MsgExtendLock":   &types.MsgExtendLock{},
		"aichain/stakingrewards/MsgBeginUnlock":  &types.MsgBeginUnlock{},
		"aichain/stakingrewards/MsgWithdraw":     &types.MsgWithdraw{},
		"aichain/stakingrewards/MsgClaimRewards": &types.MsgClaimRewards{},
		"aichain/stakingrewards/MsgUpdateParams": &types.MsgUpdateParams{Params: types.DefaultParams()},
	} {
		if len(name) >= 40 {
			t.Errorf("amino name %s is 40 characters or more", name)
		}
		bz, err := cdc.MarshalJSON(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(string(bz), `"type":"`+name+`"`) {
			t.Errorf("amino JSON %s lacks type %s", bz, name)
		}
	}
}

func FuzzMsgLockValidateBasic(f *testing.F) {
	f.Add("aic1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", "uaic", int64(5), int64(time.Hour))
	f.Add("", "", int64(-1), int64(0))
	f.Fuzz(func(t *testing.T, owner, denom string, amount, dur int64) {
		m := &types.MsgLock{Owner: owner, Amount: sdk.Coin{Denom: denom, Amount: sdkmathInt(amount)}, Duration: time.Duration(dur)}
		err := m.ValidateBasic() // must not panic
		if err == nil && (amount <= 0 || dur <= 0) {
			t.Fatalf("accepted amount %d duration %d", amount, dur)
		}
	})
}

func FuzzParamsValidate(f *testing.F) {
	f.Add(int64(time.Hour), "1.5", "uaic", int64(1), uint32(1), uint32(1))
	f.Fuzz(func(t *testing.T, dur int64, mult, denom string, minLock int64, maxLocks, maxW uint32) {
		m, err := sdkmathDec(mult)
		if err != nil {
			return
		}
		p := types.Params{
			LockTiers:     []types.LockTier{{Duration: time.Duration(dur), Multiplier: m}},
			LockDenom:     denom,
			MinLockAmount: sdkmathInt(minLock), MaxLocksPerOwner: maxLocks, MaxWithdrawalsPerBlock: maxW,
		}
		_ = p.Validate() // must not panic
	})
}
