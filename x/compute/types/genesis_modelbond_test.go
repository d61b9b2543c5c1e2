package types_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestModelBondLocksModelURI: a job keeps the uri its model owner's bond
// vouched for only with that bond (or, once the bond is forfeited, its
// bonder): a genesis job with a model_uri and no bond is refused.
func TestModelBondLocksModelURI(t *testing.T) {
	const uri = "https://models.example/tiny.safetensors"
	bonder := "aic1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjyr8jg" // any canonical address
	if _, err := types.ModelBondLocks([]types.Job{{Id: 1, ModelUri: uri}}); !types.ErrInvalidGenesis.Is(err) {
		t.Fatalf("a job keeping a model uri without a bond: %v, want ErrInvalidGenesis", err)
	}
	if _, err := types.ModelBondLocks([]types.Job{{Id: 1, ModelUri: uri, ModelBonder: bonder}}); err != nil {
		t.Fatalf("a job whose bond was forfeited keeps its bonder and uri: %v", err)
	}
	if _, err := types.ModelBondLocks([]types.Job{{Id: 1}}); err != nil {
		t.Fatalf("a job without a bond or uri: %v", err)
	}
}
