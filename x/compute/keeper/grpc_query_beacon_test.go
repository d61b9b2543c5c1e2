package keeper_test

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestBeaconQuery: an explorer reads a final beacon (the value the draws
// of its height combine), an open round with the shares recorded so far,
// and the chain's signing tag (a new one after a zero-height export); a
// height with neither is NotFound.
func TestBeaconQuery(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	q := keeper.NewQueryServerImpl(s.k)
	res, err := q.Beacon(s.ta.Ctx, &types.QueryBeaconRequest{Height: 1})
	signing, err := s.k.BeaconSigningTag(s.ta.Ctx)
	must(t, err)
	if err != nil || res.Beacon == nil || res.Round != nil || !bytes.Equal(res.SigningTag, signing) ||
		!bytes.Equal(res.Beacon.Value, net.expectedBeacon(1, 0, 1, 2, 3)) {
		t.Fatalf("final beacon of 1: %+v, %v", res, err)
	}
	open := s.height() - 2 // the round the last block recorded opened, with every share
	res, err = q.Beacon(s.ta.Ctx, &types.QueryBeaconRequest{Height: open})
	if err != nil || res.Beacon != nil || res.Round == nil || res.RecordedShares != 4 || len(res.Round.Voters) != 4 {
		t.Fatalf("open round of %d: %+v, %v", open, res, err)
	}
	for _, h := range []int64{s.height() + 5, -3} {
		if _, err := q.Beacon(s.ta.Ctx, &types.QueryBeaconRequest{Height: h}); status.Code(err) != codes.NotFound {
			t.Fatalf("height %d: %v, want NotFound", h, err)
		}
	}
	if _, err := q.Beacon(s.ta.Ctx, nil); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("nil request: %v", err)
	}
	shifted := 1 - s.height() // the final beacon of 1, shifted by minus the export height
	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	res, err = q.Beacon(s.ta.Ctx, &types.QueryBeaconRequest{Height: shifted})
	if err != nil || res.Beacon == nil || len(res.SigningTag) != types.BeaconRestartTagSize || bytes.Equal(res.SigningTag, signing) {
		t.Fatalf("after a zero-height export: %+v, %v", res, err)
	}
}

// TestBeaconKeyQuery: a validator's key by its operator address, any
// spelling bech32 allows; a validator without one, or no validator, is
// NotFound; a malformed address InvalidArgument.
func TestBeaconKeyQuery(t *testing.T) {
	s := newSuite(t)
	q := keeper.NewQueryServerImpl(s.k)
	valoper, cons := s.operator()
	req := &types.QueryBeaconKeyRequest{ValidatorAddress: valoper}
	if _, err := q.BeaconKey(s.ta.Ctx, req); status.Code(err) != codes.NotFound {
		t.Fatalf("before registration: %v, want NotFound", err)
	}
	sg := signer(t, "k1")
	must(t, s.registerBeacon(valoper, sg.PubKey(), sg.ProofOfPossession(apptesting.ChainID, valoper)))
	for _, addr := range []string{valoper, strings.ToUpper(valoper)} {
		res, err := q.BeaconKey(s.ta.Ctx, &types.QueryBeaconKeyRequest{ValidatorAddress: addr})
		if err != nil || !bytes.Equal(res.Key.Pubkey, sg.PubKey()) || !bytes.Equal(res.ConsAddress, cons) || res.Key.Since != s.height()+1 {
			t.Fatalf("%s: %+v, %v", addr, res, err)
		}
	}
	stranger := sdk.ValAddress(bytes.Repeat([]byte{7}, 20)).String()
	if _, err := q.BeaconKey(s.ta.Ctx, &types.QueryBeaconKeyRequest{ValidatorAddress: stranger}); status.Code(err) != codes.NotFound {
		t.Fatalf("no such validator: %v, want NotFound", err)
	}
	if _, err := q.BeaconKey(s.ta.Ctx, &types.QueryBeaconKeyRequest{ValidatorAddress: "aicvaloper1xyz"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("malformed address: %v, want InvalidArgument", err)
	}
}
