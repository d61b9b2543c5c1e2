package app

import (
	"os"

	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"

	"github.com/aichain/aichain/app/params"
)

// EncodingConfig is what a client of the chain needs to encode, sign and
// decode its transactions and query responses.
type EncodingConfig = params.EncodingConfig

// MakeEncodingConfig returns the app's encoding config, every module's types
// registered. It builds a throw-away in-memory app, the one place where the
// registrations are made. Agents, which must not build an app, use
// chainclient.MakeEncodingConfig: the same codecs for the types they use.
func MakeEncodingConfig() EncodingConfig {
	dir, err := os.MkdirTemp("", "aichain-encoding")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	a := New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.NewAppOptionsWithFlagHome(dir))
	return EncodingConfig{
		InterfaceRegistry: a.InterfaceRegistry(),
		Codec:             a.AppCodec(),
		TxConfig:          a.TxConfig(),
		Amino:             a.LegacyAmino(),
	}
}
