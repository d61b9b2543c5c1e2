package modkit_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	storetypes "cosmossdk.io/store/types"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/internal/modkit"
)

var (
	errMissing = errorsmod.Register(codespace, 10, "no commitment")
	errRecent  = errorsmod.Register(codespace, 11, "too recent")
	errOlder   = errorsmod.Register(codespace, 12, "older commitment")
)

// newCommitments is a Commitments on a fresh store.
func newCommitments(t *testing.T) (env, modkit.Commitments) {
	t.Helper()
	e := newEnv(t)
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	c := modkit.NewCommitments(e.sb, cdc, "test", "commits", modkit.CommitmentPrefixes{Map: collections.NewPrefix(1),
		Index: collections.NewPrefix(2), Queue: collections.NewPrefix(3), Holders: collections.NewPrefix(5)},
		modkit.NewQueueHeads(e.sb, collections.NewPrefix(4)))
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	return e, c
}

// ref is the reference model of one stored commitment.
type ref struct{ height, expires, kept int64 }

// TestCommitmentsMatchAReferenceUnderRandomOperations runs random commits,
// publications, prunings and zero-height rebases (the order of the
// commitments kept across them) of a few owners on a few
// contents against a plain reference model of the rule (a commitment
// publishes from height + delay until its expiry, unless another owner's
// older commitment to the content is still kept, a ttl past its expiry; a
// commitment made again while kept keeps its height and publishes a ttl
// from then), and checks after each step that every record has its content
// entry and its queue entry and that no entry is left without its record.
func TestCommitmentsMatchAReferenceUnderRandomOperations(t *testing.T) {
	const delay, ttl, owners, contents = 3, 12, 4, 3
	e, c := newCommitments(t)
	errs := modkit.CommitErrors{Missing: errMissing, TooRecent: errRecent, Older: errOlder}
	addr := func(o int) sdk.AccAddress { return sdk.AccAddress(bytes.Repeat([]byte{byte(o + 1)}, 20)) }
	key := func(content int) []byte { return common.CommitmentOf("test-key", []byte{byte(content)}) }
	commitment := func(o sdk.AccAddress, content int) []byte {
		return common.CommitmentOf("test", o, []byte{byte(content)})
	}
	model := map[[2]int]ref{}
	rng := rand.New(rand.NewPCG(7, 42))
	ctx := e.ctx
	outcomes := map[string]int{}
	for step := range 600 {
		h := ctx.BlockHeight()
		o, content := rng.IntN(owners), rng.IntN(contents)
		claim := modkit.Claim{Owner: addr(o), Commitment: commitment(addr(o), content), ContentKey: key(content)}
		switch op := rng.IntN(10); {
		case op < 4: // commit
			if _, _, err := c.Commit(ctx, claim, ttl); err != nil {
				t.Fatal(err)
			}
			if r, ok := model[[2]int{o, content}]; !ok || r.kept <= h {
				model[[2]int{o, content}] = ref{h, h + ttl, h + 2*ttl}
			} else if h+ttl > r.expires { // renewed
				model[[2]int{o, content}] = ref{r.height, h + ttl, max(r.kept, h+2*ttl)}
			}
		case op < 7: // publish
			err := c.Use(ctx, claim, delay, errs, "content", func(a sdk.AccAddress) []byte { return commitment(a, content) })
			want := expected(model, o, content, h, delay)
			if !errors.Is(err, want) && (want != nil || err != nil) {
				t.Fatalf("step %d, height %d: owner %d publishes content %d: %v, want %v (model %v)", step, h, o, content, err, want, model)
			}
			if err == nil {
				delete(model, [2]int{o, content})
			}
			outcomes[fmt.Sprint(want)]++
		case op < 8: // a zero-height export, imported by a chain whose first block is 1
			if err := c.Rebase(ctx, h); err != nil {
				t.Fatal(err)
			}
			for k, r := range model {
				if r.kept <= h {
					delete(model, k) // no longer kept: still stored until pruned, and due there too
					continue
				}
				model[k] = ref{r.height - h, max(common.RebaseHeight(r.expires, h), 1), max(common.RebaseHeight(r.kept, h), 1)}
			}
			ctx = ctx.WithBlockHeight(1)
		default: // blocks end: the EndBlocker prunes
			if err := c.Prune(ctx, rng.IntN(3)+1); err != nil {
				t.Fatal(err)
			}
			ctx = ctx.WithBlockHeight(h + 1)
		}
		checkCommitments(t, ctx, c, model, addr, commitment)
	}
	t.Logf("publications: %v", outcomes)
	for _, want := range []error{nil, errMissing, errRecent, errOlder} {
		if outcomes[fmt.Sprint(want)] == 0 {
			t.Fatalf("no publication answered %v in the run: %v", want, outcomes)
		}
	}
}

// expected is the reference's answer to owner o publishing content at h.
func expected(model map[[2]int]ref, o, content int, h int64, delay int64) error {
	r, ok := model[[2]int{o, content}]
	switch {
	case !ok || r.expires <= h:
		return errMissing
	case h < r.height+delay:
		return errRecent
	}
	for k, other := range model {
		if k[1] == content && k[0] != o && other.height < r.height && other.kept > h {
			return errOlder
		}
	}
	return nil
}

// checkCommitments checks that every unexpired reference commitment is
// stored as the model says, and that records and entries match: each record
// with its content entry and expiry entry, no entry without its record.
func checkCommitments(t *testing.T, ctx sdk.Context, c modkit.Commitments, model map[[2]int]ref,
	addr func(int) sdk.AccAddress, commitment func(sdk.AccAddress, int) []byte,
) {
	t.Helper()
	for k, r := range model {
		got, err := c.Map.Get(ctx, modkit.CommitmentKey(addr(k[0]), commitment(addr(k[0]), k[1])))
		if r.kept <= ctx.BlockHeight() {
			continue // no longer kept: pruned or not yet
		}
		if err != nil || got.Height != r.height || got.ExpiresHeight != r.expires || got.KeptUntilHeight != r.kept {
			t.Fatalf("owner %d's commitment to %d: %+v, %v; want %+v", k[0], k[1], got, err, r)
		}
	}
	records := 0
	if err := c.Map.Walk(ctx, nil, func(key []byte, rec common.Commitment) (bool, error) {
		records++
		if ok, err := c.ByContent.Has(ctx, collections.Join3(rec.ContentKey, rec.Height, key)); err != nil || !ok {
			return true, fmt.Errorf("record %X has no content entry", key)
		}
		if ok, err := c.Queue.Has(ctx, collections.Join(rec.KeptUntilHeight, key)); err != nil || !ok {
			return true, fmt.Errorf("record %X has no queue entry", key)
		}
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	entries, perKey := 0, map[string]uint64{}
	if err := c.ByContent.Walk(ctx, nil, func(k collections.Triple[[]byte, int64, []byte]) (bool, error) {
		entries++
		perKey[string(k.K1())]++
		rec, err := c.Map.Get(ctx, k.K3())
		if err != nil || rec.Height != k.K2() || !bytes.Equal(rec.ContentKey, k.K1()) {
			return true, fmt.Errorf("content entry %v without its record: %v", k, err)
		}
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	if entries != records {
		t.Fatalf("%d content entries for %d records", entries, records)
	}
	counted := map[string]uint64{}
	if err := c.Holders.Walk(ctx, nil, func(key []byte, n uint64) (bool, error) {
		counted[string(key)] = n
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(counted) != fmt.Sprint(perKey) {
		t.Fatalf("content keys counted %v, entries per key %v", counted, perKey)
	}
}

// TestAttackPublicationUnderpaysTheCommitmentItDeletes: a publication
// removes the four entries its commitment wrote (the record, its content
// entry, its key's count, its queue entry), each at least delay blocks old,
// whose tree paths the node reads from disk and rewrites. The store charges
// a delete 1,000 gas flat, so using a commitment cost a small part of what
// making it did, and model registrations paid 0.79-0.86 × a bank send's gas
// per second of the node's time (below gas-rate parity's 0.9: blocks of
// them were underpriced). The use is now charged its deletes as the writes
// they are: about what the commit was charged for writing them.
func TestAttackPublicationUnderpaysTheCommitmentItDeletes(t *testing.T) {
	const delay, ttl = 3, 12
	e, c := newCommitments(t)
	errs := modkit.CommitErrors{Missing: errMissing, TooRecent: errRecent, Older: errOlder}
	owner := sdk.AccAddress(bytes.Repeat([]byte{1}, 20))
	gasOf := func(ctx sdk.Context, f func(sdk.Context) error) uint64 {
		ctx = ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		if err := f(ctx); err != nil {
			t.Fatal(err)
		}
		return ctx.GasMeter().GasConsumed()
	}
	for i, contentKey := range [][]byte{common.CommitmentOf("test-key", []byte{1}), nil} { // a content's, an age-only one (a model name's)
		commitment := common.CommitmentOf("test", owner, []byte{byte(i)})
		claim := modkit.Claim{Owner: owner, Commitment: commitment, ContentKey: contentKey}
		made := gasOf(e.ctx, func(ctx sdk.Context) error { _, _, err := c.Commit(ctx, claim, ttl); return err })
		used := gasOf(e.ctx.WithBlockHeight(e.ctx.BlockHeight()+delay), func(ctx sdk.Context) error {
			return c.Use(ctx, claim, delay, errs, "content", func(sdk.AccAddress) []byte { return commitment })
		})
		t.Logf("content key %x: commit %d gas, use %d gas", contentKey, made, used)
		// The commit wrote the same entries (and read and moved its queue's
		// head): charged as writes, the deletes cost about what it did
		// (0.92 and 1.02 ×); charged as deletes, about a third (0.35, 0.38).
		if used*10 < made*9 {
			t.Fatalf("content key %x: using the commitment cost %d gas, making it %d: its deletes are charged below the writes they are", contentKey, used, made)
		}
		if _, err := c.Map.Get(e.ctx, modkit.CommitmentKey(owner, commitment)); !errors.Is(err, collections.ErrNotFound) {
			t.Fatalf("the used commitment is still stored: %v", err)
		}
	}
}
