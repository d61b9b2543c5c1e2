package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// junkHolder is an account given 1,500 junk denoms, committed.
func junkHolder(ta *apptesting.TestApp) sdk.AccAddress {
	holder := ta.NewAccount(sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	ta.MintTo(holder.Address, apptesting.JunkDenoms(1_500, 1))
	ta.NextBlock()
	return holder.Address
}

// TestGRPCListQueriesKeepThePageRule: the node's gRPC server holds every
// service's list queries (here bank's) to the page rule of aichain's
// modules (pagelimit.Bound): a limit over 1,000 is lowered with next_key
// leading on, no page is 100 entries, an offset over 1,000 is refused with
// InvalidArgument, the SDK's whole-list count_total is not counted (the
// page comes without a total); aichain's own bounded count_total is still
// answered.
func TestGRPCListQueriesKeepThePageRule(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	holder := junkHolder(ta)
	conn := dialNodeGRPC(t, ta, serveNodeGRPC(t, ta), nil)
	bank := banktypes.NewQueryClient(conn)
	ctx := context.Background()
	all := func(p *query.PageRequest) (*banktypes.QueryAllBalancesResponse, error) {
		return bank.AllBalances(ctx, &banktypes.QueryAllBalancesRequest{Address: holder.String(), Pagination: p})
	}

	res, err := all(&query.PageRequest{Limit: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Balances) != maxPageEntries || len(res.Pagination.NextKey) == 0 {
		t.Fatalf("limit 2^40: %d balances, next_key %x; want %d and a next key", len(res.Balances), res.Pagination.NextKey, maxPageEntries)
	}
	res, err = all(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Balances) != int(query.DefaultLimit) || res.Pagination.Total != 0 {
		t.Fatalf("no page: %d balances, total %d; want %d without a total", len(res.Balances), res.Pagination.Total, query.DefaultLimit)
	}
	if _, err := all(&query.PageRequest{Offset: maxPageEntries + 1, Limit: 1}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("offset %d: %v, want InvalidArgument", maxPageEntries+1, err)
	}
	res, err = all(&query.PageRequest{Limit: 1, CountTotal: true})
	if err != nil {
		t.Fatalf("count_total on the SDK's list (explorers send it): %v, want the page without a total", err)
	}
	if len(res.Balances) != 1 || res.Pagination.Total != 0 || len(res.Pagination.NextKey) == 0 {
		t.Fatalf("count_total: %d balances, total %d, next_key %x; want 1, no total (not counted), a next key",
			len(res.Balances), res.Pagination.Total, res.Pagination.NextKey)
	}
	models, err := modelregistrytypes.NewQueryClient(conn).Models(ctx,
		&modelregistrytypes.QueryModelsRequest{Pagination: &query.PageRequest{Limit: 1, CountTotal: true}})
	if err != nil {
		t.Fatalf("aichain's bounded count_total: %v", err)
	}
	_ = models
}

// TestGRPCGatewayListQueryKeepsThePageRule: the REST gateway, as the
// node's API server runs it (its client context holds a gRPC client of
// the node's own gRPC server), goes through that server, page rule
// included.
func TestGRPCGatewayListQueryKeepsThePageRule(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	holder := junkHolder(ta)
	conn := dialNodeGRPC(t, ta, serveNodeGRPC(t, ta), nil)
	apiSvr := api.New(client.Context{}.WithGRPCClient(conn).WithInterfaceRegistry(ta.InterfaceRegistry()).
		WithCodec(ta.AppCodec()), log.NewNopLogger(), nil)
	ta.RegisterAPIRoutes(apiSvr, config.APIConfig{})
	mux := apiSvr.GRPCGatewayRouter

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet,
		fmt.Sprintf("/cosmos/bank/v1beta1/balances/%s?pagination.limit=%d", holder, uint64(1)<<40), nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("REST: %d %s", rec.Code, rec.Body)
	}
	var out struct {
		Balances []json.RawMessage `json:"balances"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Balances) != maxPageEntries {
		t.Fatalf("REST balances with limit 2^40: %d entries, want %d", len(out.Balances), maxPageEntries)
	}
}

// TestAttackAbciQueryPageRuleRefusesTyped: over ABCI Query a deep offset
// is refused with ErrInvalidRequest, and a store key query (relayers',
// light clients') is still answered.
func TestAttackAbciQueryPageRuleRefusesTyped(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	holder := junkHolder(ta)
	bz, err := (&banktypes.QueryAllBalancesRequest{Address: holder.String(),
		Pagination: &query.PageRequest{Offset: maxPageEntries + 1, Limit: 1}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res, err := ta.App.Query(context.Background(), &abci.RequestQuery{Path: "/cosmos.bank.v1beta1.Query/AllBalances", Data: bz})
	if err != nil || res.Codespace != sdkerrors.ErrInvalidRequest.Codespace() || res.Code != sdkerrors.ErrInvalidRequest.ABCICode() {
		t.Fatalf("offset %d over ABCI: %v %d/%s %s; want ErrInvalidRequest", maxPageEntries+1, err, res.Code, res.Codespace, res.Log)
	}
	key := append([]byte{0x02}, address(holder)...) // bank's balances prefix, length-prefixed address
	res, err = ta.App.Query(context.Background(), &abci.RequestQuery{Path: "/store/bank/key", Data: append(key, app.BondDenom...)})
	if err != nil || res.Code != 0 || len(res.Value) == 0 {
		t.Fatalf("store key query: %v %d %s (%d bytes)", err, res.Code, res.Log, len(res.Value))
	}
}

// address is addr length-prefixed, as collections encode it in keys.
func address(addr sdk.AccAddress) []byte { return append([]byte{byte(len(addr))}, addr...) }

// TestAttackAbciQuerySimulateRouteBounded: the tx service's Simulate over
// ABCI Query (what the CLI uses without --grpc-addr) still simulates a
// wallet's transaction, and refuses one over abciSimulateMaxBytes before
// running it.
func TestAttackAbciQuerySimulateRouteBounded(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	ta.RegisterTxService(client.Context{}.WithInterfaceRegistry(ta.InterfaceRegistry()).WithTxConfig(ta.TxConfig()).WithCodec(ta.AppCodec()))
	from := ta.Accounts[0]
	simulate := func(tx []byte) *abci.ResponseQuery {
		bz, err := (&txtypes.SimulateRequest{TxBytes: tx}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		res, err := ta.App.Query(context.Background(), &abci.RequestQuery{Path: "/cosmos.tx.v1beta1.Service/Simulate", Data: bz})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := simulate(selfSends(ta, from, 1)); res.Code != 0 {
		t.Fatalf("a one-send simulation over ABCI: %d %s", res.Code, res.Log)
	}
	heavy := selfSends(ta, from, 6_500)
	if res := simulate(heavy); res.Code != sdkerrors.ErrInvalidRequest.ABCICode() {
		t.Fatalf("a %d-byte simulation over ABCI: code %d %.120s; want ErrInvalidRequest", len(heavy), res.Code, res.Log)
	}
}
