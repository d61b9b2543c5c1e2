package app

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/spf13/cast"

	cmttypes "github.com/cometbft/cometbft/types"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// ProposerConfig is app.toml's [proposer] section: what this validator puts
// in the blocks it proposes.
type ProposerConfig struct {
	// MaxGas is the most gas, summed over the transactions' gas limits, that
	// a block this validator proposes holds (the injected verdicts aside); 0
	// leaves only the consensus limit (block.max_gas). It bounds how long a
	// block takes to execute, and so the block interval under load. It is a
	// proposer's policy, not a rule others check: a proposal above it is
	// still valid.
	MaxGas uint64 `mapstructure:"max-gas"`
	// MaxExecTime is the longest a block this validator proposes should
	// take to execute (FinalizeBlock and Commit), at the pace this
	// node measured for each kind of transaction on its recent blocks
	// (execPace): the proposal holds what the node is expected to execute
	// in that time. 0: no such limit. Like
	// MaxGas it is the proposer's policy, and a block's first transaction
	// always fits (within the consensus limit), so no transaction is too
	// large ever to be proposed.
	MaxExecTime time.Duration `mapstructure:"max-exec-time"`
}

// DefaultMaxExecTime is max-exec-time for a node whose blocks come every
// timeoutCommit: the timeout itself. CometBFT starts the next height's
// timeout when the validators have committed to a block, before it
// executes, so execution hides inside the timeout up to about its length;
// a block that takes longer stretches the interval by the difference, and
// transactions whose gas underprices their time (cold reads) could make
// blocks take several times the timeout. A smaller max-exec-time shortens
// the interval's tail further, at some cost in throughput where it binds
// (docs/bench-chain.md, "A proposer's time budget").
func DefaultMaxExecTime(timeoutCommit time.Duration) time.Duration {
	return timeoutCommit
}

// ProposerConfigTemplate is appended to app.toml's template.
const ProposerConfigTemplate = `
###############################################################################
###                         Block proposals (aichain)                       ###
###############################################################################

[proposer]

# The most gas (the sum of the transactions' gas limits) that a block this
# validator proposes holds, besides the injected verdicts. 0: only the
# consensus limit (block.max_gas). Under load, a block takes about as long to
# execute as the gas it holds, and the block interval grows by that time: keep
# it so that a full block executes well within timeout_commit on this machine.
max-gas = {{ .Proposer.MaxGas }}

# The longest a block this validator proposes should take to execute
# (FinalizeBlock and Commit), at the pace this node measured for each kind of
# transaction (its first message's type) on its recent blocks (nanoseconds
# per unit of gas limit; a kind not yet measured counts at twice the slowest):
# a proposal holds what this node is expected to execute in that time, and
# always its first transaction.
# New nodes get consensus.timeout_commit: a block should not execute for
# longer than the timeout it hides in. Less (e.g. 60 % of timeout_commit)
# keeps the block interval nearer timeout_commit under load, at some cost in
# throughput where it binds (a heavy kind of transaction, a slow machine).
# "0s": no limit of this kind.
max-exec-time = "{{ .Proposer.MaxExecTime }}"
`

// ReadProposerConfig reads the [proposer] section from the node's app
// options. A max-exec-time that is not a duration ("500ms", "1s") or is
// negative is an error.
func ReadProposerConfig(opts servertypes.AppOptions) (ProposerConfig, error) {
	if opts == nil {
		return ProposerConfig{}, nil
	}
	cfg := ProposerConfig{MaxGas: cast.ToUint64(opts.Get("proposer.max-gas"))}
	if v := opts.Get("proposer.max-exec-time"); v != nil {
		d, err := cast.ToDurationE(v)
		if err != nil {
			return cfg, fmt.Errorf("app.toml [proposer] max-exec-time %q: %w", v, err)
		}
		if d < 0 {
			return cfg, fmt.Errorf("app.toml [proposer] max-exec-time %s is negative", d)
		}
		cfg.MaxExecTime = d
	}
	return cfg, nil
}

// budgetSelector chooses a proposal's transactions, in the mempool's order,
// under the block's byte limit, a gas limit (the lower of the consensus
// limit, block.max_gas, and max-gas) and, with max-exec-time, a time
// budget: each transaction is expected to take its gas limit times the pace
// this node measured for its kind (execPace.snapshot; a kind not measured
// yet, at twice the slowest), and the proposal holds what is expected to
// execute in max-exec-time. Neither budget applies to the block's first
// transaction, which needs only the consensus limit: a transaction above
// them is proposed alone rather than never. Gas sums saturate (a tx may ask
// for any gas where block.max_gas is -1).
type budgetSelector struct {
	cfg  ProposerConfig
	pace *execPace // nil: no pace measured (max-exec-time does not apply)

	txs        [][]byte
	bytes, gas uint64
	ns         float64 // the expected execution time of txs
	paces      paces   // the proposal's paces, taken at its first tx
	timed      bool    // max-exec-time applies to this proposal
	started    bool
}

// SelectedTxs is the proposal's transactions. Clear drops the slice rather
// than reusing it, so what it returned stays as it was.
func (s *budgetSelector) SelectedTxs(context.Context) [][]byte { return s.txs }

// Clear starts a new proposal.
func (s *budgetSelector) Clear() {
	s.txs, s.bytes, s.gas, s.ns, s.paces, s.timed, s.started = nil, 0, 0, 0, paces{}, false, false
}

// SelectTxForProposal adds txBz when it fits and says whether the proposal
// is full.
func (s *budgetSelector) SelectTxForProposal(_ context.Context, maxTxBytes, maxBlockGas uint64, memTx sdk.Tx, txBz []byte) bool {
	if !s.started {
		s.started = true
		if s.cfg.MaxExecTime > 0 {
			s.paces, s.timed = s.pace.snapshot()
		}
	}
	full := maxBlockGas // the proposal's gas limit; 0: none
	if s.cfg.MaxGas > 0 && (full == 0 || s.cfg.MaxGas < full) {
		full = s.cfg.MaxGas
	}
	first := len(s.txs) == 0
	limit, maxNs := full, float64(s.cfg.MaxExecTime)
	if first {
		limit, maxNs = maxBlockGas, math.Inf(1) // the first tx needs only the consensus limit
	}
	var t txGasKind
	if memTx != nil {
		t = gasKindOf(memTx)
	}
	var txNs float64
	if s.timed {
		txNs = float64(t.gas) * s.paces.of(t.kind)
	}
	size := uint64(cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{txBz}))
	if common.SatAdd(s.bytes, size) <= maxTxBytes && (limit == 0 || common.SatAdd(s.gas, t.gas) <= limit) && (!s.timed || s.ns+txNs <= maxNs) {
		s.txs = append(s.txs, txBz)
		s.bytes, s.gas, s.ns = common.SatAdd(s.bytes, size), common.SatAdd(s.gas, t.gas), s.ns+txNs
	}
	return s.bytes >= maxTxBytes || (full > 0 && s.gas >= full) || (s.timed && s.ns >= float64(s.cfg.MaxExecTime))
}
