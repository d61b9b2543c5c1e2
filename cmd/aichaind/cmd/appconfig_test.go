package cmd

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/viper"

	srvconfig "github.com/cosmos/cosmos-sdk/server/config"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/ve"
)

// app.toml, written from the template, carries the [verifier] and
// [proposer] sections, and the node reads back what was written.
func TestAppConfigRoundTrip(t *testing.T) {
	cfg := DefaultAppConfig()
	cfg.Proposer.MaxGas = 123_456_789
	cfg.Proposer.MaxExecTime = 750 * time.Millisecond
	cfg.Verifier.Address = "127.0.0.1:9999"
	path := filepath.Join(t.TempDir(), "app.toml")
	srvconfig.SetConfigTemplate(AppConfigTemplate)
	srvconfig.WriteConfigFile(path, cfg)
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	got, err := app.ReadProposerConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxGas != 123_456_789 || got.MaxExecTime != 750*time.Millisecond {
		t.Fatalf("proposer max-gas, max-exec-time read back as %d, %s", got.MaxGas, got.MaxExecTime)
	}
	if got := ve.ReadConfig(v); got.Address != "127.0.0.1:9999" {
		t.Fatalf("verifier address read back as %q", got.Address)
	}
	if got, err := app.ReadProposerConfig(viper.New()); err != nil || got.MaxGas != 0 || got.MaxExecTime != 0 {
		t.Fatalf("an app.toml without [proposer] must mean no budget, got %+v, %v", got, err)
	}
	// A new node's app.toml: blocks proposed to execute within the
	// default timeout_commit.
	if d, tc := DefaultAppConfig().Proposer.MaxExecTime, initCometBFTConfig().Consensus.TimeoutCommit; d != tc || d <= 0 {
		t.Fatalf("default max-exec-time %s, want timeout_commit %s", d, tc)
	}
}
