package app

import (
	"context"
	"math"
	"testing"

	protov2 "google.golang.org/protobuf/proto"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// gasTx is a transaction that only says its gas limit.
type gasTx uint64

func (gasTx) GetMsgs() []sdk.Msg                    { return nil }
func (gasTx) GetMsgsV2() ([]protov2.Message, error) { return nil, nil }
func (g gasTx) GetGas() uint64                      { return uint64(g) }

// selected is how many of n txs of 100 gas each a proposal takes under the
// proposer's maxGas and the consensus limit consensusGas.
func selected(maxGas, consensusGas uint64, n int) int {
	s := budgetSelector{TxSelector: baseapp.NewDefaultTxSelector(), maxGas: maxGas}
	for i := 0; i < n; i++ {
		if s.SelectTxForProposal(context.Background(), 1<<20, consensusGas, gasTx(100), []byte{byte(i)}) {
			break
		}
	}
	return len(s.SelectedTxs(context.Background()))
}

// The proposer's budget caps a proposal's gas below the consensus limit;
// the lower of the two wins; 0 leaves the consensus limit alone (with
// block.max_gas = -1 the SDK passes the largest uint64).
func TestProposerGasBudget(t *testing.T) {
	for _, c := range []struct {
		name              string
		maxGas, consensus uint64
		want              int
	}{
		{"budget below an unlimited block", 250, math.MaxUint64, 2},
		{"budget exactly three", 300, math.MaxUint64, 3},
		{"consensus limit lower than the budget", 1_000, 150, 1},
		{"no budget", 0, math.MaxUint64, 10},
		{"no budget, consensus limit", 0, 500, 5},
	} {
		if got := selected(c.maxGas, c.consensus, 10); got != c.want {
			t.Errorf("%s: %d txs selected, want %d", c.name, got, c.want)
		}
	}
}
