package app_test

import (
	"context"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// lockedComet is cometViaCheckTx with the local ABCI client's one lock
// around CheckTx, counting the broadcasts inside it at once.
type lockedComet struct {
	cometViaCheckTx
	mu           sync.Mutex
	inside, peak atomic.Int32
}

func (c *lockedComet) BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
	n := c.inside.Add(1)
	defer c.inside.Add(-1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cometViaCheckTx.BroadcastTxSync(ctx, tx)
}

// An attacker floods the node's gRPC tx service with forged transfers of
// its victim's coins (signatures that do not verify) from many clients at
// once, while the victim broadcasts one genuine transfer among them. The
// service checks at most BroadcastSlots at a time; every call is answered;
// no forgery enters the mempool or a block; the victim's transfer is
// accepted and committed, and the balances move by it alone, to the coin:
// the attacker gains nothing and the honest sender loses only what it sent.
func TestAttackBroadcastFloodDelaysNoHonestSender(t *testing.T) {
	node := apptesting.Setup(t, 3)
	cfg := node.TxConfig()
	comet := &lockedComet{cometViaCheckTx: cometViaCheckTx{ta: node}}
	node.RegisterTxService(client.Context{}.WithTxConfig(cfg).WithClient(comet))
	broadcast := node.GRPCQueryRouter().Route("/cosmos.tx.v1beta1.Service/BroadcastTx")
	if broadcast == nil {
		t.Fatal("the tx service is not registered")
	}
	victim, attacker, to := node.Accounts[0], node.Accounts[1], node.Accounts[2]
	acc := node.AccountKeeper.GetAccount(node.Ctx, victim.Address)
	rng := rand.New(rand.NewSource(5))
	var signMu sync.Mutex
	sign := func(from, recipient sdk.AccAddress, amount int64, forge bool) []byte {
		signMu.Lock()
		defer signMu.Unlock()
		msg := banktypes.NewMsgSend(from, recipient, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, amount)))
		tx, err := simtestutil.GenSignedMockTx(rng, cfg, []sdk.Msg{msg}, sdk.Coins{}, 200_000, apptesting.ChainID,
			[]uint64{acc.GetAccountNumber()}, []uint64{0}, victim.Priv)
		if err != nil {
			t.Fatal(err)
		}
		bz, err := cfg.TxEncoder()(tx)
		if err != nil {
			t.Fatal(err)
		}
		if forge {
			bz[len(bz)-1] ^= 1 // the encoding ends with the signature
		}
		return bz
	}
	send := func(tx []byte) (*txtypes.BroadcastTxResponse, error) {
		req, err := (&txtypes.BroadcastTxRequest{TxBytes: tx, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC}).Marshal()
		if err != nil {
			return nil, err
		}
		res, err := broadcast(node.Ctx, &abci.RequestQuery{Data: req})
		if err != nil {
			return nil, err
		}
		var out txtypes.BroadcastTxResponse
		return &out, out.Unmarshal(res.Value)
	}

	const flood = 20 * app.BroadcastSlots
	forgeries := make([][]byte, flood)
	for i := range forgeries {
		forgeries[i] = sign(victim.Address, attacker.Address, 900_000+int64(i), true)
	}
	genuine := sign(victim.Address, to.Address, 5_000, false)
	codes := make([]uint32, flood)
	var wg sync.WaitGroup
	for i := range forgeries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := send(forgeries[i])
			if err != nil {
				t.Errorf("forgery %d: %v", i, err)
				return
			}
			codes[i] = res.TxResponse.Code
		}()
		if i == flood/2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := send(genuine)
				if err != nil || res.TxResponse.Code != 0 {
					t.Errorf("the honest broadcast: %v, %+v", err, res)
				}
			}()
		}
	}
	wg.Wait()
	for i, c := range codes {
		if c == 0 {
			t.Errorf("forgery %d was accepted", i)
		}
	}
	if p := comet.peak.Load(); p > app.BroadcastSlots {
		t.Errorf("%d broadcasts reached CheckTx at once, want at most %d", p, app.BroadcastSlots)
	}
	block := append([][]byte{genuine}, forgeries...)
	res := node.NextBlockWithTxs(block)
	if res[0].Code != 0 {
		t.Fatalf("the honest transfer failed in the block: code %d %s", res[0].Code, res[0].Log)
	}
	for i, r := range res[1:] {
		if r.Code == 0 {
			t.Errorf("forgery %d executed in a block", i)
		}
	}
	for _, c := range []struct {
		who  string
		addr sdk.AccAddress
		want sdkmath.Int
	}{
		{"victim", victim.Address, apptesting.DefaultBalance.SubRaw(5_000)},
		{"attacker", attacker.Address, apptesting.DefaultBalance},
		{"recipient", to.Address, apptesting.DefaultBalance.AddRaw(5_000)},
	} {
		if got := node.Balance(c.addr, app.BondDenom); !got.Equal(c.want) {
			t.Errorf("%s holds %s, want %s", c.who, got, c.want)
		}
	}
}
