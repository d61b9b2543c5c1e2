package main

import (
	"context"
	"fmt"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// commitDatasets commits each owner to the n datasets the setup lists and
// waits until the chain lists them (content_commit_delay_blocks after).
func (r *chainRun) commitDatasets(ctx context.Context, n int) error {
	p, err := dmtypes.NewQueryClient(r.alice.Conn).Params(ctx, &dmtypes.QueryParamsRequest{})
	if err != nil {
		return err
	}
	return r.commitFirst(ctx, kindContentCommit, kindDataset, p.Params.ContentCommitDelayBlocks, func(i int) []sdk.Msg {
		var out []sdk.Msg
		for j := i; j < n; j += len(r.accs) {
			out = append(out, contentCommitMsg(r.accs[i], j))
		}
		return out
	})
}

// commitModels commits each account to the models its register-model
// phase registers and waits until the chain registers them
// (weights_commit_delay_blocks after): the phase measures registrations on
// their commitments, as every registration of new weights is.
func (r *chainRun) commitModels(ctx context.Context) error {
	p, err := mrtypes.NewQueryClient(r.alice.Conn).Params(ctx, &mrtypes.QueryParamsRequest{})
	if err != nil {
		return err
	}
	return r.commitFirst(ctx, kindWeightsCommit, kindModel, p.Params.WeightsCommitDelayBlocks, func(i int) []sdk.Msg {
		out := make([]sdk.Msg, 0, r.o.perAccount)
		for j := 0; j < r.o.perAccount; j++ {
			out = append(out, weightsCommitMsg(r.accs[i], i, j))
		}
		return out
	})
}

// commitFirst runs the setup phase kind of commitments msgs builds, then
// waits delay blocks, after which the chain takes what they commit to
// (next, for the log).
func (r *chainRun) commitFirst(ctx context.Context, kind, next string, delay uint64, msgs func(i int) []sdk.Msg) error {
	if _, _, err := r.phase(ctx, kind, msgs); err != nil {
		return err
	}
	h, err := r.blocks.latest(ctx)
	if err != nil {
		return err
	}
	until := h + int64(delay)
	fmt.Printf("waiting for height %d before %s\n", until, next)
	for h < until {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if h, err = r.blocks.latest(ctx); err != nil {
			return err
		}
	}
	return nil
}
