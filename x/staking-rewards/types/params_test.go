package types_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

func TestParamsRewardDenoms(t *testing.T) {
	many := make([]string, types.MaxRewardDenoms+1)
	for i := range many {
		many[i] = fmt.Sprintf("ibc/%064X", i)
	}
	for _, c := range []struct {
		name   string
		denoms []string
		ok     bool
		want   []string // RewardedDenoms
	}{
		{"none: lock_denom only", nil, true, []string{"uaic"}},
		{"sorted, lock_denom included", []string{"uzzz", "ibc/AB"}, true, []string{"ibc/AB", "uaic", "uzzz"}},
		{"lock_denom listed too", []string{"uaic", "ufoo"}, true, []string{"uaic", "ufoo"}},
		{"at the limit", many[:types.MaxRewardDenoms], true, nil},
		{"over the limit", many, false, nil},
		{"twice", []string{"ufoo", "ufoo"}, false, nil},
		{"invalid denom", []string{"1x"}, false, nil},
		{"empty denom", []string{""}, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := types.DefaultParams()
			p.RewardDenoms = c.denoms
			err := p.Validate()
			if c.ok != (err == nil) {
				t.Fatalf("Validate(%v) = %v, want ok %v", c.denoms, err, c.ok)
			}
			if err != nil && !errors.Is(err, types.ErrInvalidParams) {
				t.Fatalf("error %v is not ErrInvalidParams", err)
			}
			if c.want != nil && !slices.Equal(p.RewardedDenoms(), c.want) {
				t.Fatalf("RewardedDenoms() = %v, want %v", p.RewardedDenoms(), c.want)
			}
		})
	}
}
