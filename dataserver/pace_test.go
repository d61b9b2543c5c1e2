package dataserver

import (
	"math"
	"testing"
	"time"
)

// TestPaceEnd: a pace's end is its grace plus the bytes at its rate; a
// pace of rate 0 sets no floor, and ends never.
func TestPaceEnd(t *testing.T) {
	for _, c := range []struct {
		p    Pace
		n    int64
		want time.Duration
	}{
		{Pace{Grace: time.Second, Rate: 1 << 20}, 2 << 20, 3 * time.Second},
		{Pace{Grace: 10 * time.Second, Rate: 16 << 20}, 0, 10 * time.Second},
		{Pace{Grace: time.Second}, 1 << 30, math.MaxInt64},
	} {
		if got := c.p.End(c.n); got != c.want {
			t.Fatalf("%+v.End(%d) = %v, want %v", c.p, c.n, got, c.want)
		}
	}
}
