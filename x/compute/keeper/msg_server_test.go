package keeper_test

import (
	sdk "github.com/cosmos/cosmos-sdk/types"

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

// TestNewParamsGovernable: the params issue 14 added change only through the
// authority, are validated (each out-of-range value refused with nothing
// changed), and survive a genesis export and import.
func TestNewParamsGovernable(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.MinExecBlocks, p.MaxChunkBytes, p.JobCreationFee = 7, 1<<20, coin(2_500)
	p.MaxWorkPerExecBlock, p.TimeoutJailThreshold, p.RetentionBlocks = 12_345, 4, 777
	p.UnavailableSpanBlocks, p.MaxDisputeChunks = 9, 5
	sn := s.snap()
	for name, edit := range map[string]func(*types.Params){
		"min_exec_blocks 0":              func(q *types.Params) { q.MinExecBlocks = 0 },
		"min_exec_blocks above max":      func(q *types.Params) { q.MinExecBlocks = q.MaxExecBlocks + 1 },
		"max_chunk_bytes below 1 KiB":    func(q *types.Params) { q.MaxChunkBytes = types.MinChunkBytesLimit - 1 },
		"max_chunk_bytes above 64 MiB":   func(q *types.Params) { q.MaxChunkBytes = types.MaxChunkBytesLimit + 1 },
		"job_creation_fee in a stranger": func(q *types.Params) { q.JobCreationFee = sdk.NewInt64Coin("ufoo", 1) },
		"max_work_per_exec_block 0":      func(q *types.Params) { q.MaxWorkPerExecBlock = 0 },
		"timeout_jail_threshold 0":       func(q *types.Params) { q.TimeoutJailThreshold = 0 },
		"retention_blocks 0":             func(q *types.Params) { q.RetentionBlocks = 0 },
		"unavailable_span_blocks 0":      func(q *types.Params) { q.UnavailableSpanBlocks = 0 },
		"max_dispute_chunks 0":           func(q *types.Params) { q.MaxDisputeChunks = 0 },
		"max_dispute_chunks above limit": func(q *types.Params) { q.MaxDisputeChunks = types.MaxDisputeChunksLimit + 1 },
	} {
		bad := p
		edit(&bad)
		_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: s.k.GetAuthority(), Params: bad})
		if !types.ErrInvalidParams.Is(err) {
			t.Fatalf("%s: got %v, want ErrInvalidParams", name, err)
		}
	}
	_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: s.acc(0).String(), Params: p})
	wantErr(t, err, types.ErrInvalidSigner)
	s.unchanged(sn)
	s.setParams(p)
	gs := s.exportValid()
	fresh := newSuite(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatal(err)
	}
	if got := fresh.params(); got.String() != p.String() {
		t.Fatalf("params after import %v, want %v", got, p)
	}
}
