package types_test

import "cosmossdk.io/math"

func sdkmathDec(s string) (math.LegacyDec, error) { return math.LegacyNewDecFromStr(s) }

func sdkmathInt(n int64) math.Int { return math.NewInt(n) }
