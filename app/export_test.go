package app

import (
	"reflect"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// PaceOf is the pace (ns per unit of gas limit) the node measured for
// transactions whose first message is of msg's type, and whether it has
// measured one.
func (app *App) PaceOf(msg sdk.Msg) (float64, bool) {
	ps, ok := app.pace.snapshot()
	if !ok {
		return 0, false
	}
	ns, ok := ps.kinds[reflect.TypeOf(msg)]
	return ns, ok
}
