package keeper_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/x/compute/types"
)

// addValidator creates a staking validator (unbonded, no power) operated
// by account i, and returns its operator address.
func (s *suite) addValidator(i int) string {
	s.t.Helper()
	pk := ed25519.GenPrivKeyFromSecret([]byte{byte(i), 'v'}).PubKey()
	valoper := sdk.ValAddress(s.acc(i)).String()
	val, err := stakingtypes.NewValidator(valoper, pk, stakingtypes.Description{Moniker: "v"})
	must(s.t, err)
	must(s.t, s.ta.StakingKeeper.SetValidator(s.ta.Ctx, val))
	must(s.t, s.ta.StakingKeeper.SetValidatorByConsAddr(s.ta.Ctx, val))
	return valoper
}

// setEndpoint sends MsgSetVerifierEndpoint and returns the
// EventVerifierEndpointSet it emitted (nil: none).
func (s *suite) setEndpoint(valoper, endpoint string) (*types.EventVerifierEndpointSet, error) {
	ctx := s.ta.Ctx.WithEventManager(sdk.NewEventManager())
	_, err := s.ms.SetVerifierEndpoint(ctx, &types.MsgSetVerifierEndpoint{ValidatorAddress: valoper, Endpoint: endpoint})
	for _, ev := range ctx.EventManager().ABCIEvents() {
		msg, perr := sdk.ParseTypedEvent(ev)
		if e, ok := msg.(*types.EventVerifierEndpointSet); perr == nil && ok {
			return e, err
		}
	}
	return nil, err
}

// endpoints is the whole VerifierEndpoints store, by operator address bytes.
func (s *suite) endpoints() map[string]string {
	s.t.Helper()
	out := map[string]string{}
	must(s.t, s.k.VerifierEndpoints.Walk(s.ta.Ctx, nil, func(v sdk.ValAddress, e string) (bool, error) {
		out[string(v)] = e
		return false, nil
	}))
	return out
}

// walkEndpoints pages VerifierEndpoints one entry at a time to the end.
func (s *suite) walkEndpoints() map[string]string {
	s.t.Helper()
	out := map[string]string{}
	var key []byte
	for pages := 0; ; pages++ {
		res, err := s.q.VerifierEndpoints(s.ta.Ctx, &types.QueryVerifierEndpointsRequest{Pagination: &query.PageRequest{Key: key, Limit: 1}})
		must(s.t, err)
		if len(res.Endpoints) > 1 || pages > 10 {
			s.t.Fatalf("page of limit 1 holds %d entries (page %d)", len(res.Endpoints), pages)
		}
		for _, e := range res.Endpoints {
			out[e.ValidatorAddress] = e.Endpoint
		}
		if key = res.Pagination.NextKey; len(key) == 0 {
			return out
		}
	}
}

// TestVerifierEndpointLifecycle: a validator's operator sets its sidecar's
// URL (event, single query in any spelling, paged list of two validators
// walked a page of one at a time), updates it, and clears it (the entry
// goes, the query is NotFound, clearing again is no error).
func TestVerifierEndpointLifecycle(t *testing.T) {
	s := newSuite(t)
	a, _ := s.operator()
	b := s.addValidator(3)
	ev, err := s.setEndpoint(a, "https://a.example:8091/weights")
	must(t, err)
	if ev == nil || ev.ValidatorAddress != a || ev.Endpoint != "https://a.example:8091/weights" {
		t.Fatalf("event %+v", ev)
	}
	// An upper-case spelling is the same validator: its entry, not a second one.
	if _, err := s.setEndpoint(strings.ToUpper(b), "http://10.0.0.2:8091"); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{a, strings.ToUpper(a)} {
		res, err := s.q.VerifierEndpoint(s.ta.Ctx, &types.QueryVerifierEndpointRequest{ValidatorAddress: addr})
		if err != nil || res.Endpoint.ValidatorAddress != a || res.Endpoint.Endpoint != "https://a.example:8091/weights" {
			t.Fatalf("%s: %+v, %v", addr, res, err)
		}
	}
	want := map[string]string{a: "https://a.example:8091/weights", b: "http://10.0.0.2:8091"}
	if got := s.walkEndpoints(); len(got) != 2 || got[a] != want[a] || got[b] != want[b] {
		t.Fatalf("paged list %v, want %v", got, want)
	}

	if _, err := s.setEndpoint(a, "https://a2.example"); err != nil {
		t.Fatal(err)
	}
	if got := s.walkEndpoints(); got[a] != "https://a2.example" || got[b] != want[b] {
		t.Fatalf("after the update: %v", got)
	}
	ev, err = s.setEndpoint(a, "")
	must(t, err)
	if ev == nil || ev.ValidatorAddress != a || ev.Endpoint != "" {
		t.Fatalf("removal event %+v", ev)
	}
	if _, err := s.q.VerifierEndpoint(s.ta.Ctx, &types.QueryVerifierEndpointRequest{ValidatorAddress: a}); status.Code(err) != codes.NotFound {
		t.Fatalf("after the removal: %v, want NotFound", err)
	}
	if got := s.walkEndpoints(); len(got) != 1 || got[b] != want[b] {
		t.Fatalf("after the removal: %v", got)
	}
	if _, err := s.setEndpoint(a, ""); err != nil {
		t.Fatalf("removing an absent entry: %v", err)
	}
	if _, err := s.q.VerifierEndpoint(s.ta.Ctx, &types.QueryVerifierEndpointRequest{ValidatorAddress: "aicvaloper1xyz"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("malformed address: %v, want InvalidArgument", err)
	}
	if _, err := s.q.VerifierEndpoints(s.ta.Ctx, nil); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("nil request: %v", err)
	}
}

// TestAttackNonValidatorSetsVerifierEndpoint: an account that operates no
// validator announces a sidecar URL, to be read as a validator's and draw
// the weights requests to a server of its own. Refused with
// ErrNotValidator; the store is as it was.
func TestAttackNonValidatorSetsVerifierEndpoint(t *testing.T) {
	s := newSuite(t)
	a, _ := s.operator()
	if _, err := s.setEndpoint(a, "https://a.example"); err != nil {
		t.Fatal(err)
	}
	before := s.endpoints()
	stranger := sdk.ValAddress(s.acc(2)).String()
	for _, endpoint := range []string{"https://evil.example", ""} {
		ev, err := s.setEndpoint(stranger, endpoint)
		if !errors.Is(err, types.ErrNotValidator) {
			t.Fatalf("%q: err %v, want ErrNotValidator", endpoint, err)
		}
		if ev != nil {
			t.Fatalf("%q: a refused message emitted %+v", endpoint, ev)
		}
	}
	if after := s.endpoints(); len(after) != len(before) || after[string(mustValAddr(t, a))] != "https://a.example" {
		t.Fatalf("store changed: %v, was %v", after, before)
	}
	if _, err := s.q.VerifierEndpoint(s.ta.Ctx, &types.QueryVerifierEndpointRequest{ValidatorAddress: stranger}); status.Code(err) != codes.NotFound {
		t.Fatalf("the stranger's entry: %v, want NotFound", err)
	}
}

// TestAttackSetsAnotherValidatorsVerifierEndpoint: an operator points
// another validator's entry at a server of its own. The message's one
// signer is the named validator's operator account (the cosmos.msg.v1.signer
// option on validator_address), so only that account's signature carries
// it: a message naming validator b needs b's operator's, not a's.
func TestAttackSetsAnotherValidatorsVerifierEndpoint(t *testing.T) {
	s := newSuite(t)
	a, _ := s.operator()
	b := s.addValidator(3)
	for _, v := range []string{a, b} {
		signers, _, err := s.ta.AppCodec().GetMsgV1Signers(&types.MsgSetVerifierEndpoint{ValidatorAddress: v, Endpoint: "https://x.example"})
		must(t, err)
		if len(signers) != 1 || !bytes.Equal(signers[0], mustValAddr(t, v)) {
			t.Fatalf("signers of a message naming %s: %x, want its operator account %x", v, signers, mustValAddr(t, v).Bytes())
		}
	}
	signers, _, err := s.ta.AppCodec().GetMsgV1Signers(&types.MsgSetVerifierEndpoint{ValidatorAddress: b})
	must(t, err)
	if bytes.Equal(signers[0], mustValAddr(t, a)) {
		t.Fatal("a's operator signs a message naming b")
	}
}

// TestAttackBadVerifierEndpointRefused: URLs a sidecar cannot or must not
// fetch from (another scheme, no host, credentials, a query, too long,
// garbage) are refused with ErrInvalidVerifierEndpoint, by ValidateBasic
// and by the keeper alike, and the validator's entry stays as it was; an
// account address in validator_address is ErrInvalidAddress.
func TestAttackBadVerifierEndpointRefused(t *testing.T) {
	s := newSuite(t)
	a, _ := s.operator()
	if _, err := s.setEndpoint(a, "https://good.example"); err != nil {
		t.Fatal(err)
	}
	for name, endpoint := range map[string]string{
		"ftp":       "ftp://weights.example/",
		"no host":   "http://",
		"no host 2": "https:///path",
		"userinfo":  "https://user:pw@weights.example",
		"query":     "https://weights.example/?token=1",
		"fragment":  "https://weights.example/#x",
		"too long":  "https://weights.example/" + strings.Repeat("a", types.MaxEndpointLen),
		"garbage":   "not a url",
		"no scheme": "weights.example:8091",
		"bad port":  "http://weights.example:99999",
		"control":   "http://weights.example/\n",
	} {
		msg := &types.MsgSetVerifierEndpoint{ValidatorAddress: a, Endpoint: endpoint}
		if err := msg.ValidateBasic(); !errors.Is(err, types.ErrInvalidVerifierEndpoint) {
			t.Fatalf("%s: ValidateBasic %v, want ErrInvalidVerifierEndpoint", name, err)
		}
		if err := s.k.SetVerifierEndpoint(s.ta.Ctx, a, endpoint); !errors.Is(err, types.ErrInvalidVerifierEndpoint) {
			t.Fatalf("%s: keeper %v, want ErrInvalidVerifierEndpoint", name, err)
		}
		if ev, err := s.setEndpoint(a, endpoint); !errors.Is(err, types.ErrInvalidVerifierEndpoint) || ev != nil {
			t.Fatalf("%s: msg server %v (event %+v), want ErrInvalidVerifierEndpoint", name, err, ev)
		}
		if got := s.endpoints(); len(got) != 1 || got[string(mustValAddr(t, a))] != "https://good.example" {
			t.Fatalf("%s: store %v", name, got)
		}
	}
	account := s.acc(0).String()
	if _, err := s.setEndpoint(account, "https://x.example"); !errors.Is(err, types.ErrInvalidAddress) {
		t.Fatalf("an account address: %v, want ErrInvalidAddress", err)
	}
}

// TestVerifierEndpointGenesisRoundTrip: the entries export and import as
// they were, an entry whose validator is gone among them (no hook removes
// it, and the import does not ask x/staking).
func TestVerifierEndpointGenesisRoundTrip(t *testing.T) {
	s := newSuite(t)
	a, _ := s.operator()
	b := s.addValidator(3)
	must(t, s.k.SetVerifierEndpoint(s.ta.Ctx, a, "https://a.example"))
	must(t, s.k.SetVerifierEndpoint(s.ta.Ctx, b, "http://b.example:8091/w"))
	gone := sdk.ValAddress(bytes.Repeat([]byte{9}, 20))
	must(t, s.k.VerifierEndpoints.Set(s.ta.Ctx, gone, "https://gone.example"))
	gs, fresh := s.exportImport()
	if len(gs.VerifierEndpoints) != 3 {
		t.Fatalf("exported %v", gs.VerifierEndpoints)
	}
	want := map[string]string{a: "https://a.example", b: "http://b.example:8091/w", gone.String(): "https://gone.example"}
	for v, e := range want {
		res, err := fresh.q.VerifierEndpoint(fresh.ta.Ctx, &types.QueryVerifierEndpointRequest{ValidatorAddress: v})
		if err != nil || res.Endpoint.Endpoint != e {
			t.Fatalf("%s after the import: %+v, %v", v, res, err)
		}
	}
}

// TestGenesisRefusesBadVerifierEndpoints: Validate and InitGenesis refuse
// a malformed operator address, an account address, an invalid or empty
// endpoint, and a validator listed twice (also under two spellings, which
// the store would fold into one entry) with ErrInvalidGenesis; the
// refused import stores no endpoint.
func TestGenesisRefusesBadVerifierEndpoints(t *testing.T) {
	s := newSuite(t)
	a, _ := s.operator()
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	ok := types.VerifierEndpoint{ValidatorAddress: a, Endpoint: "https://a.example"}
	for name, eps := range map[string][]types.VerifierEndpoint{
		"bad address":     {{ValidatorAddress: "aicvaloper1xyz", Endpoint: "https://a.example"}},
		"account address": {{ValidatorAddress: s.acc(0).String(), Endpoint: "https://a.example"}},
		"bad endpoint":    {{ValidatorAddress: a, Endpoint: "ftp://a.example"}},
		"empty endpoint":  {{ValidatorAddress: a}},
		"duplicate":       {ok, {ValidatorAddress: a, Endpoint: "https://b.example"}},
		"two spellings":   {ok, {ValidatorAddress: strings.ToUpper(a), Endpoint: "https://b.example"}},
	} {
		bad := *gs
		bad.VerifierEndpoints = eps
		if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Fatalf("%s: Validate %v, want ErrInvalidGenesis", name, err)
		}
		fresh := newSuite(t)
		if err := fresh.k.InitGenesis(fresh.ta.Ctx, &bad); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Fatalf("%s: InitGenesis %v, want ErrInvalidGenesis", name, err)
		}
		if got := fresh.endpoints(); len(got) != 0 {
			t.Fatalf("%s: a refused genesis stored %v", name, got)
		}
	}
	good := *gs
	good.VerifierEndpoints = []types.VerifierEndpoint{ok}
	must(t, good.Validate())
}

func mustValAddr(t *testing.T, valoper string) sdk.ValAddress {
	t.Helper()
	v, err := sdk.ValAddressFromBech32(valoper)
	must(t, err)
	return v
}
