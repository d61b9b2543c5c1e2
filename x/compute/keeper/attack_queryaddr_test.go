package keeper_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackJobsQueryUppercaseRequesterHidesJobs: bech32 is case-insensitive
// and the all-uppercase spelling is the standard one for QR codes. The Jobs
// query accepts the uppercase spelling of a requester (the codec decodes it)
// but looks it up in the index as given, so a wallet that asks with it is
// told the account has no jobs. The same for Provider. (x/datamarket and
// x/compute's Bids canonicalise the address first.)
func TestAttackJobsQueryUppercaseRequesterHidesJobs(t *testing.T) {
	s := newSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	s.create(req, verifyPrice)
	ctx := s.ta.Ctx
	lower, err := s.q.Jobs(ctx, &types.QueryJobsRequest{Requester: req.String()})
	if err != nil || len(lower.Jobs) != 1 {
		t.Fatalf("jobs of the requester: %+v %v", lower, err)
	}
	upper, err := s.q.Jobs(ctx, &types.QueryJobsRequest{Requester: strings.ToUpper(req.String())})
	if err == nil && len(upper.Jobs) != 1 {
		t.Fatalf("the requester's uppercase address is accepted but lists %d jobs, want 1", len(upper.Jobs))
	}
}

// TestAttackProviderQueryUppercaseNotFound: the Provider query accepts an
// uppercase address and answers NotFound for a registered provider.
func TestAttackProviderQueryUppercaseNotFound(t *testing.T) {
	s := newSuite(t)
	prov := s.acc(1)
	s.register(prov, verifyBond)
	p, err := s.q.Provider(s.ta.Ctx, &types.QueryProviderRequest{Address: strings.ToUpper(prov.String())})
	if status.Code(err) == codes.NotFound {
		t.Fatalf("a registered provider asked with its uppercase address (accepted by the codec): %v", err)
	}
	if err == nil && p.Provider.Address != prov.String() {
		t.Fatalf("provider %+v", p.Provider)
	}
}
