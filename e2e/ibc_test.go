package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	ibctransfertypes "github.com/cosmos/ibc-go/v10/modules/apps/transfer/types"
)

var (
	relayerOnce sync.Once
	relayerBin  string
	relayerErr  error
)

// Relayer builds the Go relayer (rly, pinned in tools/relayer/go.mod) once
// per test process, or uses build/rly when `make relayer` made it.
func Relayer(t testing.TB) string {
	t.Helper()
	bin, err := buildRelayer()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func buildRelayer() (string, error) {
	relayerOnce.Do(func() {
		root, err := repoRoot()
		if err != nil {
			relayerErr = err
			return
		}
		relayerBin = filepath.Join(root, "build", "rly")
		if _, err := os.Stat(relayerBin); err == nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", relayerBin, "github.com/cosmos/relayer/v2")
		cmd.Dir = filepath.Join(root, "tools", "relayer")
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
		if out, err := cmd.CombinedOutput(); err != nil {
			relayerErr = fmt.Errorf("build the relayer: %w\n%s", err, out)
		}
	})
	return relayerBin, relayerErr
}

// rlyHome is one relayer configuration between two chains.
type rlyHome struct {
	t    *testing.T
	bin  string
	home string
}

func (r rlyHome) run(args ...string) string {
	r.t.Helper()
	out, err := exec.Command(r.bin, append(args, "--home", r.home)...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("rly %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// addChain tells the relayer about a chain and restores its key "relayer"
// from the mnemonic init-files wrote for it.
func (r rlyHome) addChain(c *Chain) {
	r.t.Helper()
	cfg := map[string]any{"type": "cosmos", "value": map[string]any{
		"key": "relayer", "chain-id": c.ChainID, "rpc-addr": fmt.Sprintf("http://127.0.0.1:%d", c.Nodes[0].Ports.RPC),
		"account-prefix": "aic", "keyring-backend": "test", "gas-adjustment": 1.5, "gas-prices": "0uaic",
		"min-gas-amount": 0, "debug": false, "timeout": "20s", "output-format": "json", "sign-mode": "direct",
	}}
	bz, _ := json.Marshal(cfg)
	file := filepath.Join(r.home, c.ChainID+".json")
	if err := os.WriteFile(file, bz, 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.run("chains", "add", "--file", file, c.ChainID)
	seed, err := os.ReadFile(filepath.Join(c.Home(), "key_seed_relayer.json"))
	if err != nil {
		r.t.Fatal(err)
	}
	var key struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(seed, &key); err != nil {
		r.t.Fatal(err)
	}
	r.run("keys", "restore", c.ChainID, "relayer", key.Secret)
}

// ibcDenom is the voucher denom of base received over channel on port transfer.
func ibcDenom(channel, base string) string {
	sum := sha256.Sum256([]byte("transfer/" + channel + "/" + base))
	return "ibc/" + strings.ToUpper(hex.EncodeToString(sum[:]))
}

// balanceOf reads one denom's balance over REST.
func (c *Chain) balanceOf(t *testing.T, addr, denom string) math.Int {
	t.Helper()
	var res struct {
		Balance struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	getJSON(t, c, "/cosmos/bank/v1beta1/balances/"+addr+"/by_denom?denom="+denom, &res)
	if res.Balance.Amount == "" {
		return math.ZeroInt()
	}
	amt, ok := math.NewIntFromString(res.Balance.Amount)
	if !ok {
		t.Fatalf("balance %q", res.Balance.Amount)
	}
	return amt
}

// relayWait bounds the wait for a packet to be relayed. The relayer first
// replays the chains' recent blocks ("Chain is not yet in sync") and relays
// only once both are in sync; beside the other e2e tests on 2 busy cores
// that took more than 90 s once, where it takes seconds on a quiet machine.
const relayWait = 180 * time.Second

// waitBalance waits until addr holds want of denom on c.
func (c *Chain) waitBalance(t *testing.T, addr, denom string, want math.Int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := c.balanceOf(t, addr, denom)
		if got.Equal(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s on %s holds %s %s, want %s", addr, c.ChainID, got, denom, want)
		}
		time.Sleep(time.Second)
	}
}

// TestIBCTransfer links two aichain chains with the Go relayer (clients,
// connection, an ICS-20 channel), sends uaic from chain A to chain B and
// back, and checks every balance to the coin on both chains: the sender's,
// the receiver's voucher, and the escrow on A. Then chain B's token pays for
// a job on chain A (ibcJobPaidInVoucher).
func TestIBCTransfer(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	rly := Relayer(t)
	a := NewChainID(t, "aichain-a-1", 1, "alice", "relayer", "provider")
	b := NewChainID(t, "aichain-b-1", 1, "bob", "relayer")
	// Chain A's genesis allows chain B's uaic, as it will arrive over A's
	// channel-0 (the first channel of a fresh chain), for jobs; no sampling
	// (this test is about the payment, not verification).
	a.SetComputeParams(map[string]any{"allowed_denoms": []string{"uaic", ibcDenom("channel-0", "uaic")},
		"collateral_ratio_bps": 20_000, "sample_rate_floor_bps": 0, "challenge_blocks": "4",
		"job_creation_fee": map[string]string{"denom": "uaic", "amount": "100000"}})
	a.Start()
	b.Start()
	r := rlyHome{t: t, bin: rly, home: t.TempDir()}
	r.run("config", "init")
	r.addChain(a)
	r.addChain(b)
	r.run("paths", "new", a.ChainID, b.ChainID, "ab")
	r.run("tx", "link", "ab", "--src-port", "transfer", "--dst-port", "transfer", "--version", "ics20-1")
	relayer := StartProcess(t, r.home, "rly", rly, "start", "ab", "--home", r.home)
	defer relayer.Stop()

	alice, bob := a.Addr("alice"), b.Addr("bob")
	voucher := ibcDenom("channel-0", "uaic")
	// Wallets read which denoms a job may be priced in over REST.
	var allowed struct {
		Denoms    []string `json:"denoms"`
		BondDenom string   `json:"bond_denom"`
	}
	getJSON(t, a, "/aichain/compute/v1/allowed_denoms", &allowed)
	if len(allowed.Denoms) != 2 || allowed.Denoms[1] != voucher || allowed.BondDenom != "uaic" {
		t.Fatalf("allowed denoms on A: %+v, want uaic and %s", allowed, voucher)
	}
	escrow := ibctransfertypes.GetEscrowAddress("transfer", "channel-0").String()
	aliceBefore := a.balanceOf(t, alice, "uaic")

	okTx(t, "transfer A→B", a.Tx("ibc-transfer", "transfer", "transfer", "channel-0", bob, "1234uaic", "--from", "alice"))
	b.waitBalance(t, bob, voucher, math.NewInt(1234), relayWait)
	if got := a.balanceOf(t, alice, "uaic"); !aliceBefore.Sub(got).Equal(math.NewInt(1234)) {
		t.Fatalf("alice paid %s for the transfer, want 1234 (zero gas price)", aliceBefore.Sub(got))
	}
	if got := a.balanceOf(t, escrow, "uaic"); !got.Equal(math.NewInt(1234)) {
		t.Fatalf("chain A's channel escrow holds %s uaic, want 1234", got)
	}

	okTx(t, "transfer B→A", b.Tx("ibc-transfer", "transfer", "transfer", "channel-0", alice, "234"+voucher, "--from", "bob"))
	a.waitBalance(t, alice, "uaic", aliceBefore.Sub(math.NewInt(1000)), relayWait)
	if got := b.balanceOf(t, bob, voucher); !got.Equal(math.NewInt(1000)) {
		t.Fatalf("bob holds %s %s after sending 234 back, want 1000", got, voucher)
	}
	if got := a.balanceOf(t, escrow, "uaic"); !got.Equal(math.NewInt(1000)) {
		t.Fatalf("chain A's channel escrow holds %s uaic after the return, want 1000", got)
	}
	ibcJobPaidInVoucher(t, a, b)
}

// ibcJobPaidInVoucher: bob sends chain B's uaic to alice and the provider on
// chain A over the relayer; alice's job on A is priced in that voucher
// (allowed in A's genesis), bid on by the real provider agent (which accepts
// the voucher: --min-price 1000uaic,1000ibc/…), executed, settled and paid
// in the voucher, every balance checked to the coin; the provider then sends
// its earnings back to chain B, where they arrive as B's own uaic.
func ibcJobPaidInVoucher(t *testing.T, a, b *Chain) {
	alice, bob, prov := a.Addr("alice"), b.Addr("bob"), a.Addr("provider")
	bOnA := ibcDenom("channel-0", "uaic") // B's uaic on A, as ibc-go names it
	escrowB := ibctransfertypes.GetEscrowAddress("transfer", "channel-0").String()
	escrowBefore, bobBefore := b.balanceOf(t, escrowB, "uaic"), b.balanceOf(t, bob, "uaic")
	okTx(t, "B's uaic to alice on A", b.Tx("ibc-transfer", "transfer", "transfer", "channel-0", alice, "100000uaic", "--from", "bob"))
	okTx(t, "B's uaic to the provider on A", b.Tx("ibc-transfer", "transfer", "transfer", "channel-0", prov, "20000uaic", "--from", "bob"))
	a.waitBalance(t, alice, bOnA, math.NewInt(100_000), relayWait)
	a.waitBalance(t, prov, bOnA, math.NewInt(20_000), relayWait)
	if got := b.balanceOf(t, escrowB, "uaic").Sub(escrowBefore); !got.Equal(math.NewInt(120_000)) {
		t.Fatalf("chain B's escrow took %s uaic, want 120000", got)
	}

	agent := a.StartProvider(t, t.TempDir(), "provider", a.Nodes[0].SparePort(1), "1000uaic,1000"+bOnA, "--local-network")
	defer agent.Stop()
	aliceUaic := a.balanceOf(t, alice, "uaic")
	pool := sdk.MustBech32ifyAddressBytes("aic", authtypes.NewModuleAddress("reward_pool"))
	compute := sdk.MustBech32ifyAddressBytes("aic", authtypes.NewModuleAddress("compute"))
	id := jobIDOf(t, a.Tx("compute", "create-job", `{"kind":"gemm-f32","gemm":{"m":64,"n":16,"k":16,"seed":7},"chunk_rows":16}`,
		"5000"+bOnA, "--commit-blocks", "8", "--reveal-blocks", "8", "--exec-blocks", "40", "--from", "alice", "--gas", "600000"))
	j := a.waitJobState(t, id, 120*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_EXPIRED", "JOB_STATE_FAILED")
	if j.State != "JOB_STATE_SETTLED" || j.Winner != prov {
		t.Fatalf("voucher job %s: %s (%s), winner %s; agent:\n%s", id, j.State, j.CloseReason, j.Winner, agent.LogTail(20))
	}
	// One bid: the clearing price is max_price, 5000 vouchers; 5% protocol
	// fee (250) to the reward pool, 4750 to the provider, whose 10000
	// vouchers of collateral (2 × max_price) came back.
	for _, c := range []struct {
		who, addr string
		want      int64
	}{{"alice", alice, 95_000}, {"provider", prov, 24_750}, {"reward pool", pool, 250}, {"compute module", compute, 0}} {
		if got := a.balanceOf(t, c.addr, bOnA); !got.Equal(math.NewInt(c.want)) {
			t.Fatalf("%s holds %s %s after the job, want %d", c.who, got, bOnA, c.want)
		}
	}
	if paid := aliceUaic.Sub(a.balanceOf(t, alice, "uaic")); !paid.Equal(math.NewInt(100_000)) {
		t.Fatalf("alice paid %s uaic, want the 100000 creation fee only", paid)
	}

	okTx(t, "earnings back to B", a.Tx("ibc-transfer", "transfer", "transfer", "channel-0", bob, "4750"+bOnA, "--from", "provider"))
	b.waitBalance(t, bob, "uaic", bobBefore.Sub(math.NewInt(120_000-4_750)), relayWait)
	if got := b.balanceOf(t, escrowB, "uaic").Sub(escrowBefore); !got.Equal(math.NewInt(120_000 - 4_750)) {
		t.Fatalf("chain B's escrow holds %s more uaic, want %d", got, 120_000-4_750)
	}
	if got := a.balanceOf(t, prov, bOnA); !got.Equal(math.NewInt(20_000)) {
		t.Fatalf("provider holds %s %s after sending its earnings home, want 20000", got, bOnA)
	}
}
