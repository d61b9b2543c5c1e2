package keeper_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/x/compute/types"
)

// AllowedDenoms answers params.allowed_denoms and the bond denom, and
// follows a governance change of the param.
func TestQueryAllowedDenoms(t *testing.T) {
	s := newSuite(t)
	ctx := s.ta.Ctx
	if _, err := s.q.AllowedDenoms(ctx, nil); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("nil request: %v", err)
	}
	res, err := s.q.AllowedDenoms(ctx, &types.QueryAllowedDenomsRequest{})
	p := s.params()
	if err != nil || len(res.Denoms) != len(p.AllowedDenoms) || res.Denoms[0] != p.MinProviderBond.Denom || res.BondDenom != p.MinProviderBond.Denom {
		t.Fatalf("allowed denoms %+v, %v; params %v", res, err, p.AllowedDenoms)
	}
	const voucher = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	p.AllowedDenoms = append(p.AllowedDenoms, voucher)
	s.setParams(p)
	res, err = s.q.AllowedDenoms(ctx, &types.QueryAllowedDenomsRequest{})
	if err != nil || len(res.Denoms) != len(p.AllowedDenoms) || res.Denoms[len(res.Denoms)-1] != voucher {
		t.Fatalf("after adding a voucher: %+v, %v", res, err)
	}
}
