package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/aichain/aichain/x/compute/types"
)

func TestRegisterProvider(t *testing.T) {
	s := newSuite(t)
	op := s.acc(0)
	before := s.bal(op)
	s.register(op, 2_000_000)
	if got := before.Sub(s.bal(op)); !got.Equal(math.NewInt(2_000_000)) {
		t.Fatalf("bond moved %s, want 2000000", got)
	}
	p := s.provider(op)
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE || !p.Bond.IsEqual(coin(2_000_000)) || !p.Locked.IsZero() {
		t.Fatalf("provider %+v", p)
	}
	stats, _ := s.q.Stats(s.ta.Ctx, &types.QueryStatsRequest{})
	if stats.Stats.ActiveProviders != 1 || stats.Stats.GpusOnline != 2 {
		t.Fatalf("stats %+v", stats.Stats)
	}

	poor := s.ta.NewAccount(sdk.NewCoins(coin(10)))
	other := s.acc(1)
	good := func(a sdk.AccAddress) *types.MsgRegisterProvider {
		return &types.MsgRegisterProvider{Operator: a.String(), Moniker: "m", Endpoint: "http://x:1", Hardware: gpuHW(), Bond: coin(1_000_000)}
	}
	cases := []struct {
		name string
		msg  *types.MsgRegisterProvider
		err  error
	}{
		{"duplicate", good(op), types.ErrProviderExists},
		{"bond too small", func() *types.MsgRegisterProvider { m := good(other); m.Bond = coin(999_999); return m }(), types.ErrBondTooSmall},
		{"wrong denom", func() *types.MsgRegisterProvider {
			m := good(other)
			m.Bond = sdk.NewCoin("other", math.NewInt(5_000_000))
			return m
		}(), types.ErrBondTooSmall},
		{"bad address", func() *types.MsgRegisterProvider { m := good(other); m.Operator = "aic1bad"; return m }(), types.ErrInvalidAddress},
		{"bad endpoint", func() *types.MsgRegisterProvider { m := good(other); m.Endpoint = "ftp://x"; return m }(), types.ErrInvalidProvider},
		{"unknown workload", func() *types.MsgRegisterProvider {
			m := good(other)
			m.Hardware.Workloads = []string{"sha-f32"}
			return m
		}(), types.ErrInvalidProvider},
		{"underfunded", good(poor.Address), sdkerrors.ErrInsufficientFunds},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sn := s.snap(op, other, poor.Address)
			_, err := s.ms.RegisterProvider(s.ta.Ctx, c.msg)
			wantErr(t, err, c.err)
			s.unchanged(sn, op, other, poor.Address)
		})
	}
}

func TestUpdateUnbondProvider(t *testing.T) {
	s := newSuite(t)
	op, req := s.acc(0), s.acc(1)
	s.register(op, 2_000_000)
	hw := gpuHW()
	hw.GpuCount = 4
	_, err := s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: op.String(), Moniker: "new", Endpoint: "http://127.0.0.1:8090", Hardware: hw, AddBond: ptr(coin(500))})
	if err != nil {
		t.Fatal(err)
	}
	s.inv()
	if p := s.provider(op); p.Moniker != "new" || !p.Bond.IsEqual(coin(2_000_500)) || p.Hardware.GpuCount != 4 {
		t.Fatalf("provider after update %+v", p)
	}
	// Not a provider.
	sn := s.snap(op, req)
	_, err = s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: req.String(), Moniker: "x", Endpoint: "http://127.0.0.1:8090", Hardware: hw})
	wantErr(t, err, types.ErrProviderNotFound)
	_, err = s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: req.String()})
	wantErr(t, err, types.ErrProviderNotFound)
	s.unchanged(sn, op, req)

	// A commitment locks collateral: unbonding is refused.
	id := s.create(req, 10_000)
	s.commit(op, id, 5_000)
	sn = s.snap(op, req)
	_, err = s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: op.String()})
	wantErr(t, err, types.ErrProviderBusy)
	s.unchanged(sn, op, req)
	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id}); err != nil {
		t.Fatal(err)
	}
	s.inv()

	before := s.bal(op)
	res, err := s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: op.String()})
	if err != nil {
		t.Fatal(err)
	}
	s.inv()
	if res.UnbondingEnd != s.height()+2 {
		t.Fatalf("unbonding end %d at height %d", res.UnbondingEnd, s.height())
	}
	_, err = s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: op.String()})
	wantErr(t, err, types.ErrProviderNotActive)
	s.next(2)
	if !s.bal(op).Equal(before) {
		t.Fatal("bond returned too early")
	}
	s.next(1)
	if got := s.bal(op).Sub(before); !got.Equal(math.NewInt(2_000_500)) {
		t.Fatalf("bond returned %s, want 2000500", got)
	}
	if _, err := s.k.GetProvider(s.ta.Ctx, op.String()); !types.ErrProviderNotFound.Is(err) {
		t.Fatalf("provider still present: %v", err)
	}
}
