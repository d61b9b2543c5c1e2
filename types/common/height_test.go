package common_test

import (
	"testing"

	"github.com/aichain/aichain/types/common"
)

func TestRebaseHeight(t *testing.T) {
	for _, c := range []struct{ h, export, want int64 }{
		{0, 100, 0},   // unset stays unset
		{50, 100, 0},  // history, or a deadline already due
		{100, 100, 0}, // the export height is the new genesis
		{101, 100, 1}, // due in the block after the export: block 1
		{130, 100, 30},
		{7, 0, 7}, // nothing to shift
	} {
		if got := common.RebaseHeight(c.h, c.export); got != c.want {
			t.Errorf("RebaseHeight(%d, %d) = %d, want %d", c.h, c.export, got, c.want)
		}
	}
}
