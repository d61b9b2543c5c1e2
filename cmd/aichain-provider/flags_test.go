package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/provider"
)

func parse(t *testing.T, args ...string) (*options, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return readOptions(fs)
}

// Off a local network the agent never registers an endpoint nobody can
// reach: --endpoint is required and may not be loopback or private.
func TestEndpointOffALocalNetwork(t *testing.T) {
	if _, err := parse(t, "--chain-id", "aichain-1"); err == nil || !strings.Contains(err.Error(), "--endpoint is required") {
		t.Fatalf("no endpoint on aichain-1: %v", err)
	}
	for _, ep := range []string{"http://127.0.0.1:8081", "http://localhost:8081", "http://10.0.0.5:8081", "ftp://gpu.example.org"} {
		if _, err := parse(t, "--chain-id", "aichain-1", "--endpoint", ep); err == nil {
			t.Errorf("endpoint %s accepted on aichain-1", ep)
		}
	}
	if o, err := parse(t, "--chain-id", "aichain-1", "--endpoint", "https://gpu.example.org:8081"); err != nil || o.cfg.Endpoint != "https://gpu.example.org:8081" {
		t.Fatalf("public endpoint: %v", err)
	}
	if o, err := parse(t, "--chain-id", "aichain-local-1"); err != nil || o.cfg.Endpoint != "http://127.0.0.1:8081" {
		t.Fatalf("localnet default endpoint: %v %+v", err, o)
	}
	if _, err := parse(t, "--chain-id", "aichain-1", "--endpoint", "http://127.0.0.1:8081", "--local-network"); err != nil {
		t.Fatalf("--local-network: %v", err)
	}
}

// Money-safe defaults: the bond defaults to the chain's minimum (empty
// here), the gas price to the node's, metrics listen apart from the chunk
// server, and a release build has no fault flag.
func TestDefaults(t *testing.T) {
	o, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if !o.cfg.Bond.IsNil() || o.gasPrices != "" || o.metrics == o.listen || o.metrics == "" {
		t.Fatalf("defaults: bond %v, gas prices %q, metrics %q, listen %q", o.cfg.Bond, o.gasPrices, o.metrics, o.listen)
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	flags(fs)
	if fs.Lookup("fault-corrupt-chunk") != nil || o.cfg.Fault.CorruptChunk != -1 {
		t.Fatal("a build without the faultinject tag has the fault flag")
	}
	plain := &options{listen: "0.0.0.0:8081", chainID: "aichain-1"}
	if err := plain.checkListener(); err == nil {
		t.Fatal("plain HTTP on 0.0.0.0 off a local network accepted")
	}
}

// --min-price takes one coin per accepted denom (an IBC voucher's ibc/<hash>
// as ibc-go writes it, upper-case hex), and refuses an empty or malformed list.
func TestMinPricePerDenom(t *testing.T) {
	const voucher = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	o, err := parse(t, "--min-price", "1000uaic,500"+voucher)
	if err != nil {
		t.Fatal(err)
	}
	want := sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000), sdk.NewInt64Coin(voucher, 500))
	if !o.cfg.Pricing.Floors.Equal(want) || !o.cfg.Pricing.Accepts(voucher) || o.cfg.Pricing.Accepts("ustake") {
		t.Fatalf("floors %s, want %s", o.cfg.Pricing.Floors, want)
	}
	for _, bad := range []string{"", "0uaic", "uaic", "1uaic,2uaic"} {
		if _, err := parse(t, "--min-price", bad); err == nil {
			t.Errorf("--min-price %q accepted", bad)
		}
	}
}

// The agent signs no fee its node alone decides (chainclient fees.go): the
// limits default to the client's and the operator's values reach it.
func TestFeeLimitFlags(t *testing.T) {
	o, err := parse(t, "--chain-id", "aichain-local-1")
	if err != nil || o.maxGasPrice != chainclient.DefaultMaxGasPrice || o.maxFee != chainclient.DefaultMaxFee {
		t.Fatalf("defaults: %v %q %q", err, o.maxGasPrice, o.maxFee)
	}
	o, err = parse(t, "--chain-id", "aichain-local-1", "--max-gas-price", "1uaic", "--max-fee", "7uaic")
	if err != nil || o.maxGasPrice != "1uaic" || o.maxFee != "7uaic" {
		t.Fatalf("set: %v %q %q", err, o.maxGasPrice, o.maxFee)
	}
}

// --weights-slots reaches the agent (default 8), and a count of none, or
// past provider.MaxWeightsSlots, is refused.
func TestWeightsSlotsFlag(t *testing.T) {
	o, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.WeightsSlots != 8 {
		t.Fatalf("default weights slots %d, want 8", o.cfg.WeightsSlots)
	}
	if o, err = parse(t, "--weights-slots", "4"); err != nil || o.cfg.WeightsSlots != 4 {
		t.Fatalf("--weights-slots 4: %v", err)
	}
	for _, bad := range []string{"0", "-1", "65"} {
		if _, err := parse(t, "--weights-slots", bad); err == nil {
			t.Errorf("--weights-slots %s accepted", bad)
		}
	}
}

// TestResolverMemoryScalesWithTheBudget: the resolver's memory caches and
// the chunk store's trees, which the agent's memory budget counts before
// any job, take a fixed share of a small budget and the resolver's defaults
// from an 8 GiB one, so the jobs keep most of the budget on a small host.
func TestResolverMemoryScalesWithTheBudget(t *testing.T) {
	for _, c := range []struct {
		budget           uint64
		models, datasets int64
	}{
		{4 << 30, 1 << 30, 512 << 20},
		{8 << 30, jobexec.DefaultModelMemoryBytes, jobexec.DefaultDatasetMemoryBytes},
		{64 << 30, jobexec.DefaultModelMemoryBytes, jobexec.DefaultDatasetMemoryBytes},
	} {
		m, d := resolverMemory(c.budget)
		if m != c.models || d != c.datasets {
			t.Errorf("budget %d MiB: models %d MiB, datasets %d MiB; want %d and %d MiB",
				c.budget>>20, m>>20, d>>20, c.models>>20, c.datasets>>20)
		}
		r := jobexec.NewChainResolver(jobexec.ResolverConfig{ModelMemoryBytes: m, DatasetMemoryBytes: d})
		if got := r.MemoryBytes(); got > c.budget*13/32 {
			t.Errorf("budget %d MiB: the resolver keeps up to %d MiB, over 13/32 of it", c.budget>>20, got>>20)
		}
		// The served outputs' trees, as run makes the chunk store: a
		// thirty-second of the budget and two rebuilds of a quarter of it.
		trees := provider.NewChunkStore(t.TempDir(), provider.TreeMemoryBytes(c.budget))
		if got := trees.MemoryBytes(); got > c.budget*3/64 || got > 384<<20 {
			t.Errorf("budget %d MiB: the trees take up to %d MiB, over 3/64 of it or 384 MiB", c.budget>>20, got>>20)
		}
	}
}
