package types

import (
	"strings"

	"github.com/aichain/aichain/types/common"
)

// Gas a transaction pays for the work the chain does later on its behalf,
// in blocks no transaction pays for: BeginBlocker and EndBlocker close a
// job's auction, award, draw, settle or expire it, and prune it; each
// commitment is ranked, released or forfeited at the close. That work runs
// under the block's infinite gas meter, so without these charges a job's
// fee covered about a third of what its life cost the chain (a gemm job
// with one bid: 64,502 gas in its create-job message against 226,350 of
// block work; TestDeferredGasCoversTheBlockWork measures each path at the
// store's gas costs and fails when a path outgrows its charge or the
// charge is more than twice the costliest path). The message handlers
// charge them (msg_server.go), so simulation, the fee and the proposer's
// gas budget all see them.
const (
	// JobBlockGas is charged by MsgCreateJob: a job's own block work on
	// its costliest path (auction close and award, the result's draw,
	// settlement and payouts, pruning), its commitments' aside. Measured
	// 2026-12-04: 62,397 with no bid (expiry), 178,000 settled.
	JobBlockGas = 200_000
	// JobInputsBlockGas is charged too when the job names a model or a
	// dataset: paying their owners and fees at settlement. Measured
	// 2026-12-04: an mlp job with a model fee and a dataset fee, 143,000
	// more than a gemm job.
	JobInputsBlockGas = 160_000
	// CommitBlockGas is charged by MsgCommitBid: its commitment's handling
	// at the close (ranked and released, or its deposit forfeited) and its
	// pruning. Measured 2026-12-04: 46,700–47,700 a commitment.
	CommitBlockGas = 50_000
	// JobBlockGasPerSpecByte is charged by MsgCreateJob for each byte of
	// its workload spec above JobSpecBaseBytes (a gpt-f32 job's inline
	// prompts, up to 4,096 tokens): the spec is part of the job record,
	// which each block path of the job's life reads and writes whole, and
	// the fixed charges above were measured on small specs. A job of 64
	// inline prompts of 64 tokens (an 8,914-byte record) did 1,555,765 gas
	// of block work against 410,000 charged
	// (TestAttackInlinePromptsBloatTheJobsUnpaidBlockWork): about 150 gas a
	// byte.
	JobBlockGasPerSpecByte = 200
	// JobSpecBaseBytes is the spec size the fixed charges cover (a gemm or
	// mlp spec has under 100 bytes).
	JobSpecBaseBytes = 256
)

// NamesInputs reports whether a job of this workload names a model or a
// dataset (mlp-f32 and gpt-f32 do; gemm-f32 generates its inputs).
func (w WorkloadSpec) NamesInputs() bool { return w.Mlp != nil || w.Gpt != nil }

// BlockGas is the gas MsgCreateJob charges for its job's block work.
func (w WorkloadSpec) BlockGas() uint64 {
	gas := uint64(JobBlockGas)
	if w.NamesInputs() {
		gas += JobInputsBlockGas
	}
	if n := uint64(w.Size()); n > JobSpecBaseBytes {
		gas += (n - JobSpecBaseBytes) * JobBlockGasPerSpecByte
	}
	return gas
}

// Gas for the verdicts a job under check causes: every validator of the set
// sends one, and the PreBlocker records it, tallies the job again and may
// decide it, under the block's infinite gas meter. The messages that put a
// job under check pay for them (keeper/verdictgas.go), per validator of the
// last commit's set: MsgCreateJob for the expected checks (the
// sample_rate_floor_bps share of them, or all of them when it bought
// assurance), MsgSubmitResult for a winner whose record samples it above the
// floor, MsgDisputeResult and MsgAbortJob for the check they start.
// TestVerdictWorkIsCharged measures a check's verdicts with 4, 30 and 100
// validators, all in one block and one a block, and fails when a path
// outgrows its charge or the charge is over twice the costliest path.
// The job's decision and settlement, which the first verdicts bring about,
// are its own block work (JobBlockGas).
const (
	// VerdictBlockGas is one validator's verdict on a job under check, and
	// VerdictGasPerJobByte more for each byte of the job record, which
	// each block that records a verdict on the job reads (the store's 3
	// gas a byte, and room for the codec); CountedVerdictGas more on a job
	// with a verification fee, whose verdicts are counted for their share
	// of it (an entry each, written, and walked by each later block's
	// tally: keeper/counted.go) and paid it at the decision (a validator
	// read, a transfer). Measured 2026-12-05, per validator after the
	// first, on a 430-byte record: 4,600 with 4 to 100 validators voting in
	// one block, 7,916–9,534 one a block (each block's tally walks the
	// job's voters so far); with a fee, its payouts included, 26,654–27,285
	// and 8,572–33,012; on an 8.6 KiB record, one a block, 24,320–25,938
	// (17,056–57,618 with a fee). A gpt-f32 job's inline prompts make the
	// record 9 KiB where a gemm job's is 400 bytes. (Until version 11 a
	// job's counted verdicts were a list in its record, rewritten at each
	// verdict: 219,735–228,758 a validator with a fee on 8.6 KiB, charged
	// 40 gas a byte; the fee's payouts at the decision were not measured,
	// about 19,000 a validator, and not charged.)
	VerdictBlockGas      = 12_000
	VerdictGasPerJobByte = 4
	CountedVerdictGas    = 24_000
	// VerdictRecordSlack is what a job record gains between its creation,
	// where its verdicts are charged, and its check: the winner, its
	// collateral, the result, the draw's record (its indices are counted
	// apart).
	VerdictRecordSlack = 512
)

// JobShareHolderBlockGas is charged by MsgCreateJob for each share holder
// of its model and of its dataset beyond the first of each (which
// JobInputsBlockGas covers), and JobBlockGasPerSpecByte for each byte the
// holder adds to the job's record: its settlement pays each holder (an
// account created for one that has none) and every block path of the job
// reads and writes the record whole. A model's and a dataset's owner chose
// up to 32 holders each while the charge was flat: 32 each (a 4,719-byte
// record) did 1,716,569 gas of block work against 410,000 charged, and
// 2,629,877 when the holders were new accounts
// (TestAttackManyShareHoldersMakeSettlementWorkUnpaid,
// TestAttackFreshShareHoldersMakeEverySettlementCreateAccounts).
const JobShareHolderBlockGas = 24_000

// AssuranceBlockGas and SampleIndexBlockGas a bought sample are charged by
// MsgCreateJob for a job buying assurance: the draw writes every bought
// index into the record (up to 3 bytes each), which the check's end, the
// decision, settlement and pruning read and write whole. Measured
// 2026-12-05 (a gemm job, one bid, to its pruning): 256,302 gas of block
// work with 4 samples, 674,874 with 2,048, against a flat 250,000
// (TestAttackBoughtSamplesBloatTheJobsUnpaidBlockWork).
const (
	AssuranceBlockGas   = 20_000
	SampleIndexBlockGas = 300
)

// TermsBlockGas is what MsgCreateJob charges, beside WorkloadSpec.BlockGas,
// for what the job's terms add to its record and its later blocks: the
// share holders copied from its model and dataset (JobShareHolderBlockGas)
// and the samples it bought (AssuranceBlockGas, SampleIndexBlockGas).
func (j Job) TermsBlockGas() uint64 {
	var gas uint64
	for _, shares := range [][]common.Share{j.ModelShares, j.DatasetShares} {
		for i := 1; i < len(shares); i++ {
			gas += JobShareHolderBlockGas + uint64(shares[i].Size()+2)*JobBlockGasPerSpecByte
		}
	}
	if j.SamplesBought > 0 {
		gas += AssuranceBlockGas + j.SamplesBought*SampleIndexBlockGas
	}
	return gas
}

// MaxSharesBlockGas bounds the share holders' part of TermsBlockGas for a
// job naming a model and a dataset of common.MaxShares holders each: what a
// create job offline allows for.
func MaxSharesBlockGas() uint64 {
	return 2 * (common.MaxShares - 1) * (JobShareHolderBlockGas + MaxShareRecordBytes*JobBlockGasPerSpecByte)
}

// MaxShareRecordBytes bounds what one share holder adds to a job record:
// a bech32 address of common.MaxShareAddressBytes under a prefix of up to
// 30 characters (90 in all, above the 62 of aichain's 32-byte addresses),
// the largest weight, and the field's framing.
var MaxShareRecordBytes = uint64((&common.Share{Address: strings.Repeat("a", 90), Weight: ^uint32(0)}).Size() + 2)

// MaxSetSize is the most validators a commit holds (CometBFT's
// MaxVotesCount): the largest SetSize, which the verdict charges multiply.
const MaxSetSize = 10_000

// CountsVerdicts tells whether the verdicts on j's verification are
// counted in it, for their share of its verification fee (bought assurance).
func (j Job) CountsVerdicts() bool { return j.SamplesBought > 0 && !j.VerificationFee.IsZero() }

// VerdictGas is the gas one validator's verdict on job j costs the block,
// counted (CountsVerdicts, on its verification) or not (the keeper charges
// it per validator of the set: keeper/verdictgas.go). The record is
// counted with the sample indices its bought samples will add (up to 3
// bytes each).
func (j Job) VerdictGas(counted bool) uint64 {
	size := uint64(j.Size()) + 3*j.SamplesBought + VerdictRecordSlack
	if counted {
		return VerdictBlockGas + CountedVerdictGas + size*VerdictGasPerJobByte
	}
	return VerdictBlockGas + size*VerdictGasPerJobByte
}

// MaxWinnerCheckGas is the most a winner's MsgSubmitResult or MsgAbortJob
// is charged for the verdicts of the check it starts (an abort on a
// 100-validator set charges some 1,350,000 for a small record); the
// chain does the rest unpaid. The agents' client allows for it beside the
// message's own gas (chainclient MsgsGasLimit), which it does not let a
// node's simulation choose alone: a bound of a full check by 100
// validators of a 32 KiB record (14,307,200 gas) let a lying node make
// every submission pay 516 × its honest fee
// (TestAttackNodeInflatesEverySubmissionsFee); this one keeps it within
// 100 ×.
const MaxWinnerCheckGas = 1_800_000

// GasChargeBound is the most gas a submission is charged for the checks its
// winner's record adds above the floor (chainclient.ChargedMsg).
func (m *MsgSubmitResult) GasChargeBound() uint64 { return MaxWinnerCheckGas }

// GasChargeBound is the most gas an abort is charged for its check
// (chainclient.ChargedMsg).
func (m *MsgAbortJob) GasChargeBound() uint64 { return MaxWinnerCheckGas }
