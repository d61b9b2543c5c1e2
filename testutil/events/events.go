// Package events decodes the typed events a test's context collected.
package events

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Typed returns the events of type T (a typed proto event, named by its
// full proto name) that ctx's event manager holds, decoded, in order.
func Typed[T any, PT interface {
	*T
	proto.Message
}](t testing.TB, ctx sdk.Context) []T {
	t.Helper()
	name := proto.MessageName(PT(new(T)))
	var out []T
	for _, ev := range ctx.EventManager().Events() {
		if ev.Type != name {
			continue
		}
		msg, err := sdk.ParseTypedEvent(abci.Event(ev))
		if err != nil {
			t.Fatalf("decode %s: %v", name, err)
		}
		typed, ok := msg.(PT)
		if !ok {
			t.Fatalf("event %s decodes to %T", name, msg)
		}
		out = append(out, *typed)
	}
	return out
}
