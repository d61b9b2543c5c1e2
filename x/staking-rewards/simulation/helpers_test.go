package simulation_test

import sdk "github.com/cosmos/cosmos-sdk/types"

func sdkCtxZero() sdk.Context { return sdk.Context{} }
