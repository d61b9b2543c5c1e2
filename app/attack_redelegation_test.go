package app_test

import (
	"crypto/sha256"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/log"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/app/ve"
	"github.com/aichain/aichain/workload"
	computekeeper "github.com/aichain/aichain/x/compute/keeper"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackRedelegatedStakeCountsTwice: a job's tally summed, across
// blocks, each validator's power in the commit that carried its verdict,
// once per consensus address, and stake was not tracked: a coalition
// holding 22% of the bonded stake voted INVALID through validator A,
// redelegated A's delegation to validator B (at once, free, no slashing)
// and voted INVALID again through B once the set carried B's new power:
// 42 of 99 > 1/3, an honest provider was slashed half its bond for fraud
// and jailed, and the colluding requester was refunded and compensated out
// of the slash. The tally is now summed from each voter's verdict at its
// power in one commit (x/compute retally): 22 of 99, no quorum; nothing
// moves. Real x/staking redelegation, the app's pre-blocker on the real
// keeper.
func TestAttackRedelegatedStakeCountsTwice(t *testing.T) {
	ta := apptesting.Setup(t, 8)
	ck, sk := ta.ComputeKeeper, ta.StakingKeeper
	cms, sms := computekeeper.NewMsgServerImpl(ck), stakingkeeper.NewMsgServerImpl(sk)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	power := func(n int64) sdk.Coin { return sdk.NewCoin("uaic", sk.TokensFromConsensusPower(ta.Ctx, n)) }
	coin := func(n int64) sdk.Coin { return sdk.NewCoin("uaic", math.NewInt(n)) }

	// Validators: H honest (76), A and B the coalition's (1 each); D, the
	// coalition's delegator, delegates 20 to A. With the genesis validator
	// (1), the set is 99 and the coalition's stake 22 (22%).
	newVal := func(acc apptesting.Account, self int64) sdk.ValAddress {
		t.Helper()
		va := sdk.ValAddress(acc.Address)
		msg, err := stakingtypes.NewMsgCreateValidator(va.String(), ed25519.GenPrivKey().PubKey(), power(self),
			stakingtypes.Description{Moniker: acc.Address.String()[:10]},
			stakingtypes.NewCommissionRates(math.LegacyNewDecWithPrec(1, 1), math.LegacyNewDecWithPrec(2, 1), math.LegacyNewDecWithPrec(1, 2)),
			math.OneInt())
		must(err)
		_, err = sms.CreateValidator(ta.Ctx, msg)
		must(err)
		return va
	}
	valH := newVal(ta.Accounts[2], 76)
	valA := newVal(ta.Accounts[3], 1)
	valB := newVal(ta.Accounts[4], 1)
	delegator := ta.Accounts[5].Address
	_, err := sms.Delegate(ta.Ctx, stakingtypes.NewMsgDelegate(delegator.String(), valA.String(), power(20)))
	must(err)
	ta.NextBlock()
	ta.NextBlock()

	// x/compute: every result verified, no verification fee (decided at once).
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	params := computetypes.DefaultParams()
	params.MinProviderBond, params.BidDeposit, params.CollateralRatioBps = coin(1_000_000), coin(1_000), 20_000
	params.MinCommitBlocks, params.MinRevealBlocks, params.MinExecBlocks = 1, 1, 1
	params.ChallengeBlocks, params.VerificationBlocks = 3, 30
	params.SampleRateFloorBps = 10_000
	_, err = cms.UpdateParams(ta.Ctx, &computetypes.MsgUpdateParams{Authority: gov, Params: params})
	must(err)
	requester, provider := ta.Accounts[0].Address, ta.Accounts[1].Address
	hw := computetypes.Hardware{GpuModel: "A100", GpuCount: 1, VramGib: 80, Workloads: []string{workload.KindGemm}}
	_, err = cms.RegisterProvider(ta.Ctx, &computetypes.MsgRegisterProvider{
		Operator: provider.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: hw, Bond: coin(1_000_000),
	})
	must(err)
	res, err := cms.CreateJob(ta.Ctx, &computetypes.MsgCreateJob{
		Requester: requester.String(), MaxPrice: coin(10_000), CommitBlocks: 2, RevealBlocks: 2, ExecBlocks: 5,
		Workload: computetypes.WorkloadSpec{Kind: workload.KindGemm, Gemm: &computetypes.GemmSpec{M: 64, N: 32, K: 16, Seed: 7}, ChunkRows: 16},
	})
	must(err)
	id := res.JobId
	salt := []byte("a salt, 16 bytes")
	_, err = cms.CommitBid(ta.Ctx, &computetypes.MsgCommitBid{
		Provider: provider.String(), JobId: id, Commitment: computetypes.BidCommitment(id, provider.String(), coin(5_000), salt),
	})
	must(err)
	for i := 0; i < 3; i++ {
		ta.NextBlock()
	}
	_, err = cms.RevealBid(ta.Ctx, &computetypes.MsgRevealBid{Provider: provider.String(), JobId: id, Price: coin(5_000), Salt: salt})
	must(err)
	ta.NextBlock()
	ta.NextBlock()
	root := sha256.Sum256([]byte("an honest output"))
	_, err = cms.SubmitResult(ta.Ctx, &computetypes.MsgSubmitResult{Provider: provider.String(), JobId: id, OutputRoot: root[:], ChunkCount: 4})
	must(err)
	ta.NextBlock()
	ta.NextBlock()
	job := func() computetypes.Job {
		t.Helper()
		j, err := ck.GetJob(ta.Ctx, id)
		must(err)
		return j
	}
	if st := job().State; st != computetypes.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("job is %s, want VERIFYING", st)
	}

	// inject runs the app's pre-blocker (package ve, on the real keeper) on
	// an injected commit of the current bonded set, each validator with its
	// power in that set; the validators in invalid carry an INVALID verdict
	// on the job, the others empty extensions (their sidecars still busy).
	inj := ve.Injections{TxConfig: ta.TxConfig()}
	next := func(sdk.Context, *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
		return &sdk.ResponsePreBlock{}, nil
	}
	pb := ve.NewPreBlocker(log.NewNopLogger(), ck, inj, next).PreBlock()
	setPower := map[string]int64{}
	inject := func(invalid ...sdk.ValAddress) {
		t.Helper()
		vals, err := sk.GetLastValidators(ta.Ctx)
		must(err)
		eci := abci.ExtendedCommitInfo{}
		var total int64
		for _, v := range vals {
			va, err := sdk.ValAddressFromBech32(v.OperatorAddress)
			must(err)
			p, err := sk.GetLastValidatorPower(ta.Ctx, va)
			must(err)
			cons, err := v.GetConsAddr()
			must(err)
			var ext []byte
			for _, bad := range invalid {
				if bad.Equals(va) {
					ext, err = ve.EncodeExtension([]computetypes.JobVerdict{{JobId: id, Verdict: computetypes.Verdict_VERDICT_INVALID}})
					must(err)
				}
			}
			setPower[va.String()] = p
			total += p
			eci.Votes = append(eci.Votes, abci.ExtendedVoteInfo{
				Validator: abci.Validator{Address: cons, Power: p}, BlockIdFlag: cmtproto.BlockIDFlagCommit, VoteExtension: ext,
			})
		}
		tx, err := inj.Encode(ta.Ctx.BlockHeight()-1, eci)
		must(err)
		ctx := ta.Ctx.WithConsensusParams(cmtproto.ConsensusParams{Abci: &cmtproto.ABCIParams{VoteExtensionsEnableHeight: 1}})
		_, err = pb(ctx, &abci.RequestFinalizeBlock{Height: ta.Ctx.BlockHeight(), Txs: [][]byte{tx}})
		must(err)
		t.Logf("block %d: set power %d, A %d, B %d, H %d", ta.Ctx.BlockHeight(), total,
			setPower[valA.String()], setPower[valB.String()], setPower[valH.String()])
	}

	bondBefore := func() sdk.Coin {
		p, err := ck.Providers.Get(ta.Ctx, provider.String())
		must(err)
		return p.Bond
	}()
	reqBefore := ta.Balance(requester, "uaic")

	// Block 1 of the window: A (21 of 99) votes INVALID. No quorum.
	inject(valA)
	ta.NextBlock()
	if st := job().State; st != computetypes.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("after A's vote the job is %s", st)
	}
	// D moves its 20 from A to B: instant, costs nothing.
	_, err = sms.BeginRedelegate(ta.Ctx, stakingtypes.NewMsgBeginRedelegate(delegator.String(), valA.String(), valB.String(), power(20)))
	must(err)
	ta.NextBlock()
	// A later block of the window: B (now 21 of 99) votes INVALID.
	inject(valB)
	ta.NextBlock()

	j := job()
	bondAfter := func() sdk.Coin {
		p, err := ck.Providers.Get(ta.Ctx, provider.String())
		must(err)
		return p.Bond
	}()
	reqAfter := ta.Balance(requester, "uaic")
	t.Logf("job %s/%s; honest provider's bond %s -> %s; requester %s -> %s",
		j.State, j.CloseReason, bondBefore, bondAfter, reqBefore, reqAfter)
	if j.State != computetypes.JobState_JOB_STATE_VERIFYING || !bondAfter.IsEqual(bondBefore) || !reqAfter.Equal(reqBefore) {
		t.Fatalf("22%% of the stake (validators A and B, the same 20 power counted on each) moved the job to %s/%s: "+
			"the provider's bond %s -> %s, the requester %s -> %s; want still VERIFYING and nothing moved",
			j.State, j.CloseReason, bondBefore, bondAfter, reqBefore, reqAfter)
	}
}
