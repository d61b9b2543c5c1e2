package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute/types"
)

// audit34WKeyedExport registers a beacon key for s's validator (bonded, as
// MsgRegisterBeaconKey requires), exports the module's genesis and returns
// it with the validator's record.
func audit34WKeyedExport(t *testing.T, s *suite) (*types.GenesisState, stakingtypes.Validator) {
	t.Helper()
	valoper, _ := s.operator()
	sg := signer(t, "audit34-W-key")
	if err := s.registerBeacon(valoper, sg.PubKey(), sg.ProofOfPossession(apptesting.ChainID, valoper)); err != nil {
		t.Fatalf("register the key of a bonded validator: %v", err)
	}
	valAddr, err := sdk.ValAddressFromBech32(valoper)
	must(t, err)
	val, err := s.ta.StakingKeeper.GetValidator(s.ta.Ctx, valAddr)
	must(t, err)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	if len(gs.BeaconKeys) != 1 {
		t.Fatalf("exported beacon keys: %d, want 1", len(gs.BeaconKeys))
	}
	must(t, gs.Validate())
	return gs, val
}

// audit34WWithValidator puts val into fresh's staking state as staking's
// InitGenesis (which runs before x/compute's) would from the same export.
func audit34WWithValidator(t *testing.T, fresh *suite, val stakingtypes.Validator) {
	t.Helper()
	must(t, fresh.ta.StakingKeeper.SetValidator(fresh.ta.Ctx, val))
	must(t, fresh.ta.StakingKeeper.SetValidatorByConsAddr(fresh.ta.Ctx, val))
}

// TestAttackJailedValidatorsBeaconKeyBreaksReimport. A validator registers
// its beacon key while bonded, then stops signing: it is jailed and leaves
// the set (Unbonding), and its key stays in BeaconKeys (nothing removes a
// key when its validator leaves). The chain's own export lists the key.
// InitGenesis used to register every genesis key through
// RegisterBeaconKey, which refuses a validator that is not bonded: the
// import failed, so the chain could not be restarted from its export (plain
// or zero-height, where every validator outside --jail-allowed-addrs is
// jailed too). Passes now: initBeaconKeys stores the keys as exported (with
// their consensus address, since and previous key), checking only what
// keeps the state consistent (one key per validator and per public key,
// BeaconKeyCount), not the live rules of MsgRegisterBeaconKey.
func TestAttackJailedValidatorsBeaconKeyBreaksReimport(t *testing.T) {
	s := newSuite(t)
	gs, val := audit34WKeyedExport(t, s)

	// Jailed for downtime: out of the set, its record kept by staking.
	val.Jailed = true
	val.Status = stakingtypes.Unbonding

	fresh := newSuite(t)
	audit34WWithValidator(t, fresh, val)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatalf("the chain's own export (a beacon key of a validator jailed since it registered) does not import: %v", err)
	}
}

// TestAttackNewChainIDRestartRefusesEveryBeaconKey. A chain restarted from
// its export under a new chain-id (the usual hard-fork procedure:
// `aichaind export --for-zero-height`, then a genesis with chain_id bumped)
// runs InitGenesis under the new chain-id. Each genesis beacon key's proof
// of possession binds the chain-id it was registered under, and
// initBeaconKeys used to check it again as MsgRegisterBeaconKey does,
// against the new one: the first registered key failed the whole import,
// although its validator is bonded and nothing about the key changed.
// Passes now: the proof of possession of a genesis key is not checked again
// (it was checked on the chain-id it was made on); the keys of the old
// chain are kept.
func TestAttackNewChainIDRestartRefusesEveryBeaconKey(t *testing.T) {
	s := newSuite(t)
	gs, val := audit34WKeyedExport(t, s)

	fresh := newSuite(t)
	audit34WWithValidator(t, fresh, val) // still bonded
	ctx := fresh.ta.Ctx.WithChainID("aichain-test-2")
	if err := fresh.k.InitGenesis(ctx, gs); err != nil {
		t.Fatalf("the export restarted under a new chain-id does not import: %v", err)
	}
}
