package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protowire"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// maxPageEntries is pagelimit.Max (modkit.MaxPageLimit): the most entries
// one request of any list query may make a node read, "so that no single request, which anyone can send a public node,
// makes it read and encode a whole collection".
const maxPageEntries = 1000

// selfSends is a tx of n 1-uaic self-sends signed by from at its sequence.
func selfSends(ta *apptesting.TestApp, from apptesting.Account, n int) []byte {
	msgs := make([]sdk.Msg, n)
	for i := range msgs {
		msgs[i] = banktypes.NewMsgSend(from.Address, from.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	}
	return ta.SignTx(from, ta.AccountKeeper.GetAccount(ta.Ctx, from.Address).GetSequence(), 1, msgs...)
}

// TestAttackAbciQuerySimulatesUnbounded: the node bounds
// simulations (free: no fee, no valid signature needed) in its gRPC tx
// service, limitedTxService: none over max_tx_bytes, simulateSlots at once,
// simulatePerPeer per client, smallest first, outside the ABCI lock. But the
// same simulation is served by ABCI Query, which any client of the node's
// CometBFT RPC reaches with abci_query: path "/app/simulate" (BaseApp's
// handleQueryApp calls app.Simulate directly, through none of those
// bounds). CometBFT's local client (proxy.NewLocalClientCreator, the SDK's
// start command) takes one mutex for every ABCI call: each such simulation
// (up to 100,000,000 gas, the simulateGasCap: ~0.17 s here for an 871 KB tx
// of sends, ~0.7 s under load) holds the lock that CheckTx, FinalizeBlock
// and Commit need, so a stream of abci_query calls stalls the node's
// mempool and block execution for free.
func TestAttackAbciQuerySimulatesUnbounded(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	mallory := ta.Accounts[0]
	light := selfSends(ta, mallory, 50)
	heavy := selfSends(ta, mallory, 6_500)

	start := time.Now()
	res, err := ta.App.Query(context.Background(), &abci.RequestQuery{Path: "/app/simulate", Data: heavy})
	took := time.Since(start)
	if err == nil && (res.Code == 0 || strings.Contains(res.Log, "failed to simulate")) {
		t.Errorf("abci_query /app/simulate ran a %d-byte simulation (%s of the node's time under the ABCI lock; code %d, %.80s): "+
			"no simulate slot, no per-client bound, no queue", len(heavy), took.Round(time.Millisecond), res.Code, res.Log)
	}

	res, err = ta.App.Query(context.Background(), &abci.RequestQuery{Path: "/app/simulate", Data: light})
	if err == nil && res.Code == 0 {
		t.Errorf("abci_query /app/simulate simulated a %d-byte transaction of 50 sends inside ABCI Query: %d bytes back",
			len(light), len(res.Value))
	}
}

// TestAttackAbciQueryStoreSubspaceReadsWholeStore: every list query of the
// chain is bounded to MaxPageLimit entries a request (modkit), but ABCI
// Query's store path "/store/<store>/subspace" (the IAVL store's Query)
// walks every key under the prefix the client gives, copies each key and
// value into one response and marshals it, inside the ABCI lock. A
// collection's prefix is one byte: one abci_query over CometBFT RPC, free,
// reads a whole collection. Here bank's balances (prefix 0x02), with an
// account given 1,500 junk denoms (what apptesting.JunkDenoms says anyone
// gets for next to nothing); x/compute's Jobs (every job ever made, with
// its workload), bids and indexes are read the same way, past every bound
// modkit.Paginate keeps.
func TestAttackAbciQueryStoreSubspaceReadsWholeStore(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	holder := ta.NewAccount(sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	ta.MintTo(holder.Address, apptesting.JunkDenoms(1_500, 1))
	ta.NextBlock()

	res, err := ta.App.Query(context.Background(), &abci.RequestQuery{Path: "/store/bank/subspace", Data: []byte{0x02}})
	if err != nil || res.Code != 0 {
		return // refused: the honest outcome
	}
	// The store's kv.Pairs (cosmossdk.io/store/internal/kv): field 1, one
	// Pair per key, read with protowire.
	n, b := 0, res.Value
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			t.Fatal(protowire.ParseError(l))
		}
		b = b[l:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			t.Fatal(protowire.ParseError(m))
		}
		b = b[m:]
		if num == 1 {
			n++
		}
	}
	if n > maxPageEntries {
		t.Fatalf("one abci_query /store/bank/subspace read and returned %d entries (%d bytes) of the bank store, "+
			"over the %d entries any list query may read", n, len(res.Value), maxPageEntries)
	}
}

// TestAttackSDKListQueryTakesAnyLimit: aichain's own list queries
// lower a page limit to MaxPageLimit (modkit.boundPage), so that one
// request reads at most that many entries; the SDK modules' list queries
// that the same node serves (bank AllBalances, TotalSupply, DenomsMetadata,
// staking, gov, …) take the client's limit as it is. A free client asks for
// AllBalances of an account (or the reward pool, or the community pool)
// that anyone has given junk denoms, with limit 2^40: the node reads,
// decodes and encodes every balance in one call.
func TestAttackSDKListQueryTakesAnyLimit(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	holder := ta.NewAccount(sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	ta.MintTo(holder.Address, apptesting.JunkDenoms(1_500, 1))
	ta.NextBlock()

	req := &banktypes.QueryAllBalancesRequest{Address: holder.String(), Pagination: &query.PageRequest{Limit: 1 << 40}}
	bz, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res, err := ta.App.Query(context.Background(), &abci.RequestQuery{Path: "/cosmos.bank.v1beta1.Query/AllBalances", Data: bz})
	if err != nil || res.Code != 0 {
		t.Fatalf("AllBalances: %v %v", err, res)
	}
	var out banktypes.QueryAllBalancesResponse
	if err := out.Unmarshal(res.Value); err != nil {
		t.Fatal(err)
	}
	if len(out.Balances) > maxPageEntries {
		t.Fatalf("one AllBalances request with limit 2^40 read and returned %d balances (%d bytes), over the %d entries "+
			"any of aichain's list queries may read", len(out.Balances), len(res.Value), maxPageEntries)
	}
}
