package dataserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

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
// reads the ACTIVE list at most maxProviderPages (50 × 200 = 10,000) pages
// and, past that, returns an error and no set at all; refreshMarked then
// keeps the set last read (none on a server started after the flood), for
// as long as the sybils stay registered. An attacker registers 10,001
// providers (a refundable min_provider_bond each, 1,000 AIC by default,
// plus one tx fee each), and no provider, including one listed on the
// first page, is marked by any dataserver: a provider awarded a job is
// looked up among strangers, whom fresh keys lock out for free, and times
// out, losing its collateral. The providers read must still be marked
// (and the read bounded in work per refresh, not in what the chain holds).
// Now the list keeps the pages read (ErrProvidersTruncated), and a provider
// past them is checked by itself when it asks
// (TestProviderPastTheListIsCheckedByItself).
func TestAttackTenThousandSybilProvidersUnmarkEveryProvider(t *testing.T) {
	node := &manyProvidersNode{total: maxProviderPages*200 + 1, honest: "aic1honestprovider"}
	c := &GRPCChain{compute: node}
	set, err := c.Providers(t.Context())
	t.Logf("%d active providers listed in %d pages: %d marked, err %v", node.total, node.answers, len(set), err)
	if (err != nil && !errors.Is(err, ErrProvidersTruncated)) || !set[node.honest] || node.answers > maxProviderPages {
		t.Fatalf("with %d active providers (%d sybils) the honest provider on the first page is not marked (err %v, %d pages read): "+
			"every dataserver looks up every provider among strangers", node.total, node.total-1, err, node.answers)
	}
}

// truncatedChain lists only sybils, past its page cap, as a chain holding
// more active providers than one read lists.
type truncatedChain struct{ *fakeChain }

func (truncatedChain) Providers(context.Context) (map[string]bool, error) {
	return map[string]bool{"aic1sybil": true}, fmt.Errorf("%w: test", ErrProvidersTruncated)
}

// TestProviderPastTheListIsCheckedByItself: a provider the truncated list
// does not hold is marked once its own record is checked (in the
// background: its first request is not held up), and a stranger is not.
func TestProviderPastTheListIsCheckedByItself(t *testing.T) {
	fx := newFixture(t, true)
	provider := newAccount()
	fx.chain.register(provider.addr())
	fx.srv.cfg.Chain = truncatedChain{fx.chain}
	if err := fx.srv.refreshMarked(t.Context()); err != nil {
		t.Fatalf("a truncated list: %v, want the ones read kept", err)
	}
	if _, p := fx.srv.marked("aic1sybil"); !p {
		t.Fatal("a provider the list holds is not marked")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, p := fx.srv.markedChecking(provider.addr()); p {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a provider past the list is not marked 5 s after its first request")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stranger := fx.stranger.addr()
	fx.srv.markedChecking(stranger)
	time.Sleep(100 * time.Millisecond)
	if _, p := fx.srv.marked(stranger); p {
		t.Fatal("a stranger is marked as a provider")
	}
}
