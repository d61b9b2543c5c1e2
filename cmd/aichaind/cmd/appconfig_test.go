package cmd

import (
	"path/filepath"
	"testing"

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
	cfg.Verifier.Address = "127.0.0.1:9999"
	path := filepath.Join(t.TempDir(), "app.toml")
	srvconfig.SetConfigTemplate(AppConfigTemplate)
	srvconfig.WriteConfigFile(path, cfg)
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	if got := app.ReadProposerConfig(v); got.MaxGas != 123_456_789 {
		t.Fatalf("proposer max-gas read back as %d", got.MaxGas)
	}
	if got := ve.ReadConfig(v); got.Address != "127.0.0.1:9999" {
		t.Fatalf("verifier address read back as %q", got.Address)
	}
	if got := app.ReadProposerConfig(viper.New()); got.MaxGas != 0 {
		t.Fatalf("an app.toml without [proposer] must mean no budget, got %d", got.MaxGas)
	}
}
