package bonded

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/query"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// pages is a staking query client that answers Validators from fixed pages,
// each pointing at the next; endless makes the last point at itself.
type pages struct {
	stakingtypes.QueryClient
	ops     [][]string
	endless bool
	status  []string
}

func (p *pages) Validators(_ context.Context, in *stakingtypes.QueryValidatorsRequest, _ ...grpc.CallOption) (*stakingtypes.QueryValidatorsResponse, error) {
	p.status = append(p.status, in.Status)
	i := 0
	if in.Pagination != nil && len(in.Pagination.Key) > 0 {
		i = int(in.Pagination.Key[0])
	}
	res := &stakingtypes.QueryValidatorsResponse{Pagination: &query.PageResponse{}}
	for _, op := range p.ops[i] {
		res.Validators = append(res.Validators, stakingtypes.Validator{OperatorAddress: op})
	}
	switch {
	case i+1 < len(p.ops):
		res.Pagination.NextKey = []byte{byte(i + 1)}
	case p.endless:
		res.Pagination.NextKey = []byte{byte(i)}
	}
	return res, nil
}

func valoper(t *testing.T, b byte) (op, acc string) {
	t.Helper()
	bz := make([]byte, 20)
	bz[0] = b
	op, err := bech32.ConvertAndEncode("aicvaloper", bz)
	if err != nil {
		t.Fatal(err)
	}
	acc, err = bech32.ConvertAndEncode("aic", bz)
	if err != nil {
		t.Fatal(err)
	}
	return op, acc
}

// Every bonded operator of every page is returned as its account address;
// an address that does not decode is skipped; a node that pages for ever is
// cut off at MaxPages with an error.
func TestOperatorAccounts(t *testing.T) {
	op1, acc1 := valoper(t, 1)
	op2, acc2 := valoper(t, 2)
	qc := &pages{ops: [][]string{{op1, "not-bech32"}, {op2}}}
	got, err := OperatorAccounts(context.Background(), qc, "aic")
	if err != nil || len(got) != 2 || !got[acc1] || !got[acc2] {
		t.Fatalf("accounts %v, %v; want %s and %s", got, err, acc1, acc2)
	}
	for _, s := range qc.status {
		if s != stakingtypes.Bonded.String() {
			t.Fatalf("asked for status %q, want bonded only", s)
		}
	}
	endless := &pages{ops: [][]string{{op1}}, endless: true}
	if _, err := OperatorAccounts(context.Background(), endless, "aic"); err == nil || len(endless.status) != MaxPages {
		t.Fatalf("endless pages: %v after %d pages, want an error after %d", err, len(endless.status), MaxPages)
	}
}
