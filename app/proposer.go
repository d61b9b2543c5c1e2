package app

import (
	"context"

	"github.com/spf13/cast"

	"github.com/cosmos/cosmos-sdk/baseapp"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
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
`

// ReadProposerConfig reads the [proposer] section from the node's app
// options.
func ReadProposerConfig(opts servertypes.AppOptions) ProposerConfig {
	if opts == nil {
		return ProposerConfig{}
	}
	return ProposerConfig{MaxGas: cast.ToUint64(opts.Get("proposer.max-gas"))}
}

// budgetSelector is the SDK's transaction selector with the proposer's gas
// budget: the block's gas limit it selects under is the smaller of the
// consensus limit and maxGas (when set).
type budgetSelector struct {
	baseapp.TxSelector
	maxGas uint64
}

func (s budgetSelector) SelectTxForProposal(ctx context.Context, maxTxBytes, maxBlockGas uint64, memTx sdk.Tx, txBz []byte) bool {
	if s.maxGas > 0 && (maxBlockGas == 0 || s.maxGas < maxBlockGas) {
		maxBlockGas = s.maxGas
	}
	return s.TxSelector.SelectTxForProposal(ctx, maxTxBytes, maxBlockGas, memTx, txBz)
}
