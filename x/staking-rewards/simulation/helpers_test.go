package simulation_test

import (
	"fmt"
	"math/rand"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
)

// collect is a simsx.Registry that keeps the factories and their weights.
type collect struct {
	factories []simsx.SimMsgFactoryX
	weights   []uint32
	total     uint32
}

func (c *collect) Add(w uint32, f simsx.SimMsgFactoryX) {
	c.factories, c.weights, c.total = append(c.factories, f), append(c.weights, w), c.total+w
}

// pick draws a factory by weight, as the simulator does.
func (c *collect) pick(r *rand.Rand) simsx.SimMsgFactoryX {
	n := uint32(r.Int63n(int64(c.total)))
	for i, w := range c.weights {
		if n < w {
			return c.factories[i]
		}
		n -= w
	}
	return c.factories[len(c.factories)-1]
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
