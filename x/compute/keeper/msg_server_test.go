package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

func TestUpdateParams(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.ProtocolFeeBps = 123
	sn := s.snap()
	_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: s.acc(0).String(), Params: p})
	wantErr(t, err, types.ErrInvalidSigner)
	bad := p
	bad.ProtocolFeeBps = 10_001
	_, err = s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: s.k.GetAuthority(), Params: bad})
	wantErr(t, err, types.ErrInvalidParams)
	s.unchanged(sn)
	s.setParams(p)
	if s.params().ProtocolFeeBps != 123 {
		t.Fatal("params not updated")
	}
}
