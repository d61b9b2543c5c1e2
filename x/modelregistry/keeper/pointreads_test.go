package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/testutil/storeiter"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestRegisterAndPublishOpenNoIterator: registering a name and publishing a
// version read by key only (Latest), refusals included. Version 1 opened
// two index iterators per registration (the folded name, the name's latest
// version), each a scan of the block's writes to the module's store so far
// (storeiter's package doc).
func TestRegisterAndPublishOpenNoIterator(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	f.register(t, registerMsg(alice, "Llama", "1"))

	ctx, iters := storeiter.Wrap(f.ta.Ctx)
	if _, err := f.srv.RegisterModel(ctx, registerMsg(bob, "bert", "1")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.PublishVersion(ctx, publishMsg(registerMsg(alice, "Llama", "2"))); err != nil {
		t.Fatal(err)
	}
	_, err := f.srv.RegisterModel(ctx, registerMsg(bob, "LLAMA", "1"))
	wantErr(t, err, types.ErrNameTaken, "a look-alike")
	_, err = f.srv.PublishVersion(ctx, publishMsg(registerMsg(bob, "bert2", "1")))
	wantErr(t, err, types.ErrNameNotFound, "a version of a name not registered")
	if iters.Total() != 0 {
		t.Fatalf("registering and publishing opened iterators: %s", iters)
	}
}
