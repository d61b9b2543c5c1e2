package dataserver

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/types/query"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// manyProvidersNode answers x/compute's Providers (status ACTIVE) with
// total providers in pages of the size asked, as the chain's status index
// does, honest among the first page's.
type manyProvidersNode struct {
	computetypes.QueryClient
	total   int
	honest  string
	answers int
}

func (n *manyProvidersNode) Providers(_ context.Context, req *computetypes.QueryProvidersRequest,
	_ ...grpc.CallOption) (*computetypes.QueryProvidersResponse, error) {
	n.answers++
	start := 0
	if len(req.Pagination.GetKey()) == 8 {
		start = int(binary.BigEndian.Uint64(req.Pagination.Key))
	}
	limit := int(req.Pagination.GetLimit())
	res := &computetypes.QueryProvidersResponse{Pagination: &query.PageResponse{}}
	for i := start; i < n.total && i < start+limit; i++ {
		addr := fmt.Sprintf("sybil%06d", i)
		if i == 0 {
			addr = n.honest
		}
		res.Providers = append(res.Providers, computetypes.Provider{Address: addr, Status: computetypes.ProviderStatus_PROVIDER_STATUS_ACTIVE})
	}
	if start+limit < n.total {
		res.Pagination.NextKey = binary.BigEndian.AppendUint64(nil, uint64(start+limit))
	}
	return res, nil
}

// TestAttackTenThousandSybilProvidersUnmarkEveryProvider: the dataserver
// looks up the active x/compute providers' downloads in a pool of their
// own, which strangers' fresh keys cannot fill
// (TestAttackStrangersLockOutNewlyAwardedProvider). GRPCChain.Providers
// read the ACTIVE list at most maxProviderPages (50 × 200 = 10,000) pages
// and, past that, returned an error and no set at all; refreshMarked then
// kept the set last read (none on a server started after the flood), for
// as long as the sybils stayed registered. An attacker registering 10,001
// providers (a refundable min_provider_bond each) left every provider
// among strangers, whom fresh keys lock out for free. Now one read returns
// the pages it read and where the next goes on
// (TestProviderPastOneReadIsMarkedAtTheNextRefresh).
func TestAttackTenThousandSybilProvidersUnmarkEveryProvider(t *testing.T) {
	node := &manyProvidersNode{total: maxProviderPages*200 + 1, honest: "aic1honestprovider"}
	c := &GRPCChain{compute: node}
	set, next, err := c.Providers(t.Context(), nil)
	t.Logf("%d active providers, one read of %d pages: %d marked, next %x, err %v", node.total, node.answers, len(set), next, err)
	if err != nil || !set[node.honest] || node.answers > maxProviderPages || next == nil {
		t.Fatalf("with %d active providers (%d sybils) the honest provider on the first page is not marked (err %v, %d pages read, next %x): "+
			"every dataserver looks up every provider among strangers", node.total, node.total-1, err, node.answers, next)
	}
	rest, last, err := c.Providers(t.Context(), next)
	if err != nil || len(rest) != 1 || last != nil || !rest[fmt.Sprintf("sybil%06d", node.total-1)] {
		t.Fatalf("the read after: %d providers, next %x, err %v; want the last one and the list done", len(rest), last, err)
	}
}

// pagedChain lists its providers one page of one provider a read, as a
// list longer than one read of the real chain.
type pagedChain struct {
	*fakeChain
	order []string
}

func (c pagedChain) Providers(_ context.Context, from []byte) (map[string]bool, []byte, error) {
	i := 0
	if len(from) == 8 {
		i = int(binary.BigEndian.Uint64(from))
	}
	if i >= len(c.order) {
		return map[string]bool{}, nil, nil
	}
	var next []byte
	if i+1 < len(c.order) {
		next = binary.BigEndian.AppendUint64(nil, uint64(i+1))
	}
	return map[string]bool{c.order[i]: true}, next, nil
}

// TestProviderPastOneReadIsMarkedAtTheNextRefresh: a provider past what
// one read of the list reaches is marked by a later refresh, each read
// going on where the last stopped; the ones read before stay marked, and a
// stranger never is.
func TestProviderPastOneReadIsMarkedAtTheNextRefresh(t *testing.T) {
	fx := newFixture(t, true)
	provider := newAccount()
	fx.srv.cfg.Chain = pagedChain{fx.chain, []string{"aic1sybil0", "aic1sybil1", provider.addr()}}
	for i, want := range []string{"aic1sybil0", "aic1sybil1", provider.addr()} {
		if err := fx.srv.refreshMarked(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, p := fx.srv.marked(want); !p {
			t.Fatalf("refresh %d: %s is not marked", i+1, want)
		}
		if _, p := fx.srv.marked("aic1sybil0"); !p {
			t.Fatalf("refresh %d: a provider read before is no longer marked", i+1)
		}
	}
	if _, p := fx.srv.marked(fx.stranger.addr()); p {
		t.Fatal("a stranger is marked as a provider")
	}
}
