package modkit_test

import (
	"context"
	"errors"
	"testing"

	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
)

// TestRunIsolated: what fn writes is kept only when it returns nil; a panic
// in fn comes back as an ErrPanicked error with nothing written; an
// out-of-gas panic is raised again, for the transaction's gas accounting.
func TestRunIsolated(t *testing.T) {
	rs, keys := rootWithStores(t, 1)
	ctx := blockCtx(rs)
	key := []byte("isolated")
	write := func(v string) func(context.Context) error {
		return func(c context.Context) error {
			sdk.UnwrapSDKContext(c).KVStore(keys[0]).Set(key, []byte(v))
			return nil
		}
	}
	stored := func() string { return string(ctx.KVStore(keys[0]).Get(key)) }

	if err := modkit.RunIsolated(ctx, write("ok")); err != nil || stored() != "ok" {
		t.Fatalf("a run that succeeds: err %v, stored %q", err, stored())
	}
	err := modkit.RunIsolated(ctx, func(c context.Context) error {
		_ = write("partial")(c)
		panic("a keeper bug")
	})
	if !errors.Is(err, modkit.ErrPanicked) || stored() != "ok" {
		t.Fatalf("a run that panics: err %v, stored %q (want ErrPanicked and \"ok\" kept)", err, stored())
	}
	failed := errors.New("refused")
	if err := modkit.RunIsolated(ctx, func(c context.Context) error {
		_ = write("partial")(c)
		return failed
	}); !errors.Is(err, failed) || stored() != "ok" {
		t.Fatalf("a run that fails: err %v, stored %q", err, stored())
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("an out-of-gas panic was swallowed")
		} else if _, ok := r.(storetypes.ErrorOutOfGas); !ok {
			t.Fatalf("recovered %v, want the out-of-gas panic", r)
		}
	}()
	_ = modkit.RunIsolated(ctx, func(context.Context) error {
		panic(storetypes.ErrorOutOfGas{Descriptor: "test"})
	})
	t.Fatal("RunIsolated returned after an out-of-gas panic")
}
