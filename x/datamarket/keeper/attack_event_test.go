package keeper_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/testutil/events"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackDatasetNameForgesEventOwner: a dataset's name is free text, and
// it goes into EventDatasetListed, whose attributes explorers and indexers
// read (modkit.EmitTypedEvent writes them without the SDK's jsonpb). An
// attacker names its dataset with JSON that would, unescaped, close the
// name and add an "owner" naming a victim, plus bytes that are not UTF-8.
// The event carries one owner, the attacker's; its name decodes to the
// attacker's text; its attributes are byte for byte what the SDK's own
// encoding makes; and when a buyer pays for a licence the victim's balance
// does not change by a coin while the attacker is paid.
func TestAttackDatasetNameForgesEventOwner(t *testing.T) {
	s := setup(t)
	attacker, victim, buyer := s.other, s.owner, s.buyer
	forged := fmt.Sprintf(`iris","owner":"%s","sha256":"00`, victim)
	for i, name := range []string{forged, forged + "\n<script>&\u2028", forged + "\xff\xfe"} {
		before := len(s.ta.Ctx.EventManager().Events())
		id := s.list(func() *types.MsgListDataset {
			m := listMsg(attacker.String(), perpetual(1000, false))
			m.Name = name
			return m
		}())
		var listed []abci.EventAttribute
		for _, e := range s.ta.Ctx.EventManager().Events()[before:] {
			if e.Type == "aichain.datamarket.v1.EventDatasetListed" {
				listed = e.Attributes
			}
		}
		owners := 0
		for _, a := range listed {
			if a.Key == "owner" {
				owners++
				if a.Value != `"`+attacker.String()+`"` {
					t.Fatalf("name %d: owner attribute %s, want the attacker", i, a.Value)
				}
			}
		}
		if owners != 1 {
			t.Fatalf("name %d: %d owner attributes", i, owners)
		}
		evs := events.Typed[types.EventDatasetListed](t, s.ta.Ctx)
		got := evs[len(evs)-1]
		if got.DatasetId != id || got.Owner != attacker.String() {
			t.Fatalf("name %d: event %+v", i, got)
		}
		if i < 2 && got.Name != name { // valid UTF-8 decodes to itself
			t.Fatalf("name %d decodes to %q, want %q", i, got.Name, name)
		}
		if i == 2 && !strings.HasPrefix(got.Name, forged) {
			t.Fatalf("name %d decodes to %q", i, got.Name)
		}
		want, err := sdk.TypedEventToEvent(&types.EventDatasetListed{DatasetId: id, Owner: attacker.String(), Name: name, Sha256: got.Sha256, RowsSha256: got.RowsSha256})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(listed, want.Attributes) {
			t.Fatalf("name %d: attributes %v, the SDK's %v", i, listed, want.Attributes)
		}

		l := s.ledger(victim.Address, attacker.Address)
		s.buy(buyer.String(), id, 0)
		paid := s.ta.Balance(attacker.Address, denom).Sub(l.before[1]).Int64()
		if paid <= 0 || paid > 1000 {
			t.Fatalf("name %d: the attacker, the dataset's owner, got %d of the 1000 price", i, paid)
		}
		l.expect(fmt.Sprintf("name %d: licence bought", i), 0, paid)
	}
}
