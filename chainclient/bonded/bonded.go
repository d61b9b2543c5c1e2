// Package bonded reads the bonded validator set the way the off-chain
// agents use it: the account addresses of the bonded validators' operators,
// which sign the sidecars' requests.
package bonded

import (
	"context"
	"fmt"

	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/query"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// MaxPages bounds the pages OperatorAccounts reads (200 validators a page),
// whatever the node answers.
const MaxPages = 50

// OperatorAccounts returns the account addresses (under prefix) of the
// bonded validators' operators, from x/staking's Validators query page by
// page. An operator address that does not decode is skipped.
func OperatorAccounts(ctx context.Context, qc stakingtypes.QueryClient, prefix string) (map[string]bool, error) {
	out := map[string]bool{}
	var key []byte
	for range MaxPages {
		res, err := qc.Validators(ctx, &stakingtypes.QueryValidatorsRequest{
			Status: stakingtypes.Bonded.String(), Pagination: &query.PageRequest{Key: key, Limit: 200},
		})
		if err != nil {
			return nil, err
		}
		for _, v := range res.Validators {
			_, bz, err := bech32.DecodeAndConvert(v.OperatorAddress)
			if err != nil {
				continue
			}
			if acc, err := bech32.ConvertAndEncode(prefix, bz); err == nil {
				out[acc] = true
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
	return nil, fmt.Errorf("more than %d pages of bonded validators", MaxPages)
}
