package common

import (
	"math"
	"testing"
)

func TestSaturating(t *testing.T) {
	for _, c := range []struct{ a, b, sum, prod uint64 }{
		{0, 0, 0, 0},
		{3, 4, 7, 12},
		{math.MaxUint64, 1, math.MaxUint64, math.MaxUint64},
		{math.MaxUint64 - 1, 1, math.MaxUint64, math.MaxUint64 - 1},
		{1 << 32, 1 << 32, 1 << 33, math.MaxUint64},
		{0, math.MaxUint64, math.MaxUint64, 0},
	} {
		if got := SatAdd(c.a, c.b); got != c.sum {
			t.Errorf("SatAdd(%d, %d) = %d, want %d", c.a, c.b, got, c.sum)
		}
		if got := SatMul(c.a, c.b); got != c.prod {
			t.Errorf("SatMul(%d, %d) = %d, want %d", c.a, c.b, got, c.prod)
		}
	}
}
