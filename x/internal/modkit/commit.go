package modkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/types/common"
)

// Commit, then publish. Content that belongs to whoever publishes it first
// (a dataset's file in x/datamarket, a model's weights in x/modelregistry)
// is published with its digests in the clear, so a mempool watcher (or the
// block's proposer) could copy them into a publication of its own that
// lands first. So a publication of new content reveals a commitment its
// owner made at least a delay (blocks) before: a copier learns the digests
// only from the owner's publication, so its own commitment is no earlier
// than the block that could include the owner's, and its publication is
// valid only a delay later, when the content is the owner's, unless every
// proposer of the delay's blocks leaves the owner's publication out.
//
// That alone lets the first publication win, not the first commitment: a
// copier who learns the digests before the owner's publication executes
// (sent through an interchain account, public on the controller chain
// blocks before a relayer delivers it; or a publication that failed) lists
// first on a commitment younger than the owner's
// (TestAttackRelayedListingLosesToCopiersLaterCommitment). So each
// commitment is also filed under its content's public key (a hash of the
// content's digests, not the owner's), in the order of its height, and a
// publication is refused while another owner holds an older unexpired
// commitment under that key which verifies against the digests published:
// the oldest commitment publishes. Junk filed under a key does not verify,
// and is younger than the owner's (the key is public only from the owner's
// commitment), so the owner's publication never reads it.
//
// Commitments is that store: each commitment by its owner and digest, its
// place under its content key, and its expiry in a due-queue that the
// module's EndBlocker drains within a budget.
type Commitments struct {
	Map       collections.Map[[]byte, common.Commitment]
	ByContent collections.KeySet[collections.Triple[[]byte, int64, []byte]]
	// Holders counts ByContent's entries under each content key, so that a
	// publication whose key holds its own commitment only (the usual case)
	// reads one value, not an iterator over the key: an iterator's creation
	// sorts the block's earlier writes to the store (cachekv), so every
	// listing of a flood at a commit delay above 0 paid for all those
	// before it, unpaid by gas (TestAttackListingFloodAtCommitDelayOpensNoIterators).
	Holders collections.Map[[]byte, uint64]
	Queue   Queue[int64, []byte]
	// module names the module in the queue's retry events.
	module string
}

// CommitmentPrefixes are the store prefixes of a module's commitments: the
// records, their content index, its count per content key, and the expiry
// queue.
type CommitmentPrefixes struct {
	Map, Index, Holders, Queue collections.Prefix
}

// NewCommitments adds a module's commitments (named name), their content
// index (name + "_by_content") and its counts (name + "_holders"), and
// their expiry queue (name + "_expiry", its head in heads) to the schema.
func NewCommitments(sb *collections.SchemaBuilder, cdc codec.BinaryCodec, module, name string, p CommitmentPrefixes, heads QueueHeads) Commitments {
	return Commitments{
		Map: collections.NewMap(sb, p.Map, name, collections.BytesKey, codec.CollValue[common.Commitment](cdc)),
		ByContent: collections.NewKeySet(sb, p.Index, name+"_by_content",
			collections.TripleKeyCodec(collections.BytesKey, collections.Int64Key, collections.BytesKey)),
		Holders: collections.NewMap(sb, p.Holders, name+"_holders", collections.BytesKey, collections.Uint64Value),
		Queue:   NewQueue(sb, p.Queue, name+"_expiry", heads, collections.Int64Key, collections.BytesKey),
		module:  module,
	}
}

// CommitErrors are a module's errors for a publication without a usable
// commitment: none stored (or expired), one not yet delay blocks old, or
// another owner's older commitment to the content.
type CommitErrors struct {
	Missing, TooRecent, Older *errorsmod.Error
}

// commitmentKeyDomain separates the store keys of commitments.
const commitmentKeyDomain = "aichain/commitment-key/v1"

// CommitmentKey is the store key of owner's commitment: one owner's
// commitments never collide with another's, so no one can take an owner's
// digest (public in its pending MsgCommit) first.
func CommitmentKey(owner sdk.AccAddress, commitment []byte) []byte {
	return common.CommitmentOf(commitmentKeyDomain, owner, commitment)
}

// Claim is a commitment as its owner sends it: the owner, its digest, and
// the content's public key (none: a commitment that only ages).
type Claim struct {
	Owner      sdk.AccAddress
	Commitment []byte
	ContentKey []byte
}

// ListableHeight is the first height at which c publishes its content
// under delay.
func ListableHeight(c common.Commitment, delay uint64) int64 { return c.Height + int64(delay) }

// Commit stores a commitment at the current height, publishing until ttl
// blocks later and kept a ttl after that, and reports whether it is new. A
// commitment its owner already made and that is still kept, expired or
// not, keeps its first height (its age counts) and is renewed: it publishes
// until ttl blocks from now. A commitment that could not be renewed
// protected its content only until its expiry: an owner whose publication
// was pushed to its last block (a relayed one, or a name squatted late in
// the commitment's life) could only commit again, at a later height than a
// copier's (TestAttackSquatNearExpiryHandsCreatorsWeightsToCopier); kept a
// ttl past its expiry, it still holds the content against younger
// commitments, and its owner has that ttl to renew it. The returned record
// is the stored one. One past its keeping but not yet pruned (the
// EndBlocker's budget carried it over) is made anew: its owner, committing
// again, would otherwise wait for the pruning
// (TestCommitAgainAfterKeepingBeforePruning).
func (c Commitments) Commit(ctx context.Context, claim Claim, ttl uint64) (common.Commitment, bool, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	got, err := c.Map.Get(ctx, CommitmentKey(claim.Owner, claim.Commitment))
	switch {
	case err == nil && got.KeptUntilHeight > h:
		// Renewed first, then returned: in one return statement Go leaves
		// unspecified whether got is read before or after the call that
		// changes it, and the record returned reaches the message's response.
		err := c.renew(ctx, &got, h+int64(ttl), int64(ttl))
		return got, false, err
	case err == nil:
		if err := c.remove(ctx, got); err != nil {
			return got, false, err
		}
	case !errors.Is(err, collections.ErrNotFound):
		return got, false, err
	}
	got = common.Commitment{Commitment: claim.Commitment, Height: h, ExpiresHeight: h + int64(ttl), KeptUntilHeight: h + 2*int64(ttl),
		Owner: claim.Owner.String(), ContentKey: claim.ContentKey}
	return got, true, c.put(ctx, got)
}

// CommitAll commits each of claims (Commit) and returns the height from
// which all of them publish under delay, the first at which one has
// expired, and whether any is new: a message that commits to several
// digests at once (x/datamarket's root and sha256, x/modelregistry's name
// and weights).
func (c Commitments) CommitAll(ctx context.Context, ttl, delay uint64, claims ...Claim) (publishable, expires int64, created bool, err error) {
	for i, claim := range claims {
		rec, isNew, err := c.Commit(ctx, claim, ttl)
		if err != nil {
			return 0, 0, false, err
		}
		publishable, created = max(publishable, ListableHeight(rec, delay)), created || isNew
		if i == 0 || rec.ExpiresHeight < expires {
			expires = rec.ExpiresHeight
		}
	}
	return publishable, expires, created, nil
}

// renew moves rec's expiry to expires when that is later, and its keeping
// to a ttl after it, its queue entry with it.
func (c Commitments) renew(ctx context.Context, rec *common.Commitment, expires, ttl int64) error {
	if expires <= rec.ExpiresHeight {
		return nil
	}
	key, err := keyOf(*rec)
	if err != nil {
		return err
	}
	if err := c.Queue.Remove(ctx, collections.Join(rec.KeptUntilHeight, key)); err != nil {
		return err
	}
	rec.ExpiresHeight, rec.KeptUntilHeight = expires, max(rec.KeptUntilHeight, expires+ttl)
	if err := c.Map.Set(ctx, key, *rec); err != nil {
		return err
	}
	return c.Queue.Set(ctx, collections.Join(rec.KeptUntilHeight, key))
}

// keyOf is rec's store key.
func keyOf(rec common.Commitment) ([]byte, error) {
	owner, err := sdk.AccAddressFromBech32(rec.Owner)
	if err != nil {
		return nil, fmt.Errorf("commitment %X: owner: %w", rec.Commitment, err)
	}
	return CommitmentKey(owner, rec.Commitment), nil
}

// put stores rec, files it under its content key and files its expiry.
func (c Commitments) put(ctx context.Context, rec common.Commitment) error {
	key, err := keyOf(rec)
	if err != nil {
		return err
	}
	if err := c.Map.Set(ctx, key, rec); err != nil {
		return err
	}
	if len(rec.ContentKey) > 0 {
		if err := c.ByContent.Set(ctx, collections.Join3(rec.ContentKey, rec.Height, key)); err != nil {
			return err
		}
		if err := c.hold(ctx, rec.ContentKey, 1); err != nil {
			return err
		}
	}
	return c.Queue.Set(ctx, collections.Join(rec.KeptUntilHeight, key))
}

// hold adds delta (1 or -1) to the count of content key's entries,
// removing a count that reaches 0.
func (c Commitments) hold(ctx context.Context, contentKey []byte, delta int) error {
	n, err := c.Holders.Get(ctx, contentKey)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	switch {
	case delta > 0:
		n++
	case n == 0:
		return fmt.Errorf("content key %X: no entry to remove from its count", contentKey)
	default:
		n--
	}
	if n == 0 {
		return c.Holders.Remove(ctx, contentKey)
	}
	return c.Holders.Set(ctx, contentKey, n)
}

// remove removes rec, its content entry and its queue entry.
func (c Commitments) remove(ctx context.Context, rec common.Commitment) error {
	key, err := keyOf(rec)
	if err != nil {
		return err
	}
	if err := c.unfile(ctx, key, rec); err != nil {
		return err
	}
	return c.Queue.Remove(ctx, collections.Join(rec.KeptUntilHeight, key))
}

// unfile removes rec (under key) and its content entry.
func (c Commitments) unfile(ctx context.Context, key []byte, rec common.Commitment) error {
	if err := c.Map.Remove(ctx, key); err != nil {
		return err
	}
	if len(rec.ContentKey) == 0 {
		return nil
	}
	if err := c.ByContent.Remove(ctx, collections.Join3(rec.ContentKey, rec.Height, key)); err != nil {
		return err
	}
	return c.hold(ctx, rec.ContentKey, -1)
}

// Use takes claim for a publication of new content at the current height:
// it must be stored, not expired, at least delay blocks old, and filed
// under claim's content key (which the caller computes from the published
// digests); no other owner may hold an older unexpired commitment under
// that key whose digest is verify(its owner) (the commitment that owner
// would have made to the content published). It is then removed (content
// is published once). With delay 0 none is needed. what names the
// committed content in the errors (its owner and digests).
func (c Commitments) Use(ctx context.Context, claim Claim, delay uint64, errs CommitErrors, what string,
	verify func(owner sdk.AccAddress) []byte,
) error {
	if delay == 0 {
		return nil
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	commitment := claim.Commitment
	key := CommitmentKey(claim.Owner, commitment)
	rec, err := c.Map.Get(ctx, key)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return errorsmod.Wrapf(errs.Missing, "commit to %s (commitment %X) at least %d blocks before", what, commitment, delay)
	case err != nil:
		return err
	case rec.ExpiresHeight <= h:
		return errorsmod.Wrapf(errs.Missing, "the commitment %X to %s expired at height %d: commit again", commitment, what, rec.ExpiresHeight)
	case h < ListableHeight(rec, delay):
		return errorsmod.Wrapf(errs.TooRecent, "the commitment %X to %s, made at height %d, publishes it from height %d",
			commitment, what, rec.Height, ListableHeight(rec, delay))
	case !bytes.Equal(rec.ContentKey, claim.ContentKey):
		return errorsmod.Wrapf(errs.Missing, "the commitment %X to %s was made under content key %X, not %X: commit again",
			commitment, what, rec.ContentKey, claim.ContentKey)
	}
	if verify != nil && len(claim.ContentKey) > 0 {
		if err := c.checkOlder(ctx, rec, claim, errs, what, verify); err != nil {
			return err
		}
	}
	if err := c.remove(ctx, rec); err != nil {
		return err
	}
	chargeUse(sdk.UnwrapSDKContext(ctx), len(key), rec)
	return nil
}

// chargeUse charges a publication for the entries of the commitment it
// used (the record and its queue entry; with a content key, its content
// entry and its key's count too) as the writes they cost the node, less the
// deletes the store charged: each key is at least delay blocks old, so its
// path in the tree is read from disk and rewritten. The chain benchmark's
// profile of model registrations (two commitments used each, six entries)
// had the IAVL deletes at more CPU than the registration's eleven writes
// (0.39 s against 0.30 s), while the store charges a delete 1,000 gas and
// a write 2,000 and 30 a byte: model registrations paid 0.79-0.86 × a
// bank send's gas per second of the node's time, below the 0.9 of
// gas-rate parity (docs/bench-chain.md). The bytes are the entries' keys
// and values, the collections' prefixes aside; key is the length of the
// record's key, which Use has already made.
func chargeUse(ctx sdk.Context, key int, rec common.Commitment) {
	const height, count = 8, 8
	entries, bytes := uint64(2), key+rec.Size()+height+key // the record, its queue entry
	if len(rec.ContentKey) > 0 {                           // its content entry, its key's count
		entries, bytes = entries+2, bytes+len(rec.ContentKey)+height+key+len(rec.ContentKey)+count
	}
	cfg := ctx.KVGasConfig()
	ctx.GasMeter().ConsumeGas(entries*(cfg.WriteCostFlat-min(cfg.DeleteCost, cfg.WriteCostFlat))+cfg.WriteCostPerByte*uint64(bytes), "commitment used")
}

// checkOlder refuses rec's publication while another owner holds an older
// commitment under its content key, still kept, that verifies: it reads
// the key's entries in height order, up to rec's height.
func (c Commitments) checkOlder(ctx context.Context, rec common.Commitment, claim Claim, errs CommitErrors, what string,
	verify func(owner sdk.AccAddress) []byte,
) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if n, err := c.Holders.Get(ctx, claim.ContentKey); errors.Is(err, collections.ErrNotFound) || (err == nil && n <= 1) {
		return nil // rec's own entry only (Use checked it is under this key)
	} else if err != nil {
		return err
	}
	it, err := c.ByContent.Iterate(ctx, collections.NewPrefixedTripleRange[[]byte, int64, []byte](claim.ContentKey))
	if err != nil {
		return err
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k, err := it.Key()
		if err != nil {
			return err
		}
		if k.K2() >= rec.Height {
			return nil
		}
		other, err := c.Map.Get(ctx, k.K3())
		if errors.Is(err, collections.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		owner, err := sdk.AccAddressFromBech32(other.Owner)
		if err != nil {
			return err
		}
		if other.KeptUntilHeight <= h || owner.Equals(claim.Owner) || !bytes.Equal(other.Commitment, verify(owner)) {
			continue
		}
		return errorsmod.Wrapf(errs.Older, "%s committed to %s at height %d, before this commitment (height %d): the oldest commitment publishes it",
			owner, what, other.Height, rec.Height)
	}
	return nil
}

// Prune removes the commitments whose keeping height has been reached, at
// most limit of them; the rest carry over (DrainDue's failure policy).
func (c Commitments) Prune(ctx context.Context, limit int) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	_, err := DrainDue(ctx, Drain[int64, []byte]{Module: c.module, Name: c.Queue.Name(), Queue: c.Queue, Handle: c.prune}, h, h+1, limit)
	return err
}

// prune removes one commitment if, by its state, it is no longer kept; a
// stale or retried entry is a no-op.
func (c Commitments) prune(ctx context.Context, key []byte) error {
	rec, err := c.Map.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if rec.KeptUntilHeight > sdk.UnwrapSDKContext(ctx).BlockHeight() {
		return nil
	}
	return c.unfile(ctx, key, rec)
}

// Query answers a query for owner's commitment by its hex digits (a
// module's gRPC query): InvalidArgument for a bad owner or digits (a wrap of
// invalid), NotFound for one not stored.
func (c Commitments) Query(ctx context.Context, owner, digits string, invalid *errorsmod.Error) (common.Commitment, error) {
	commitment, err := common.ParseCommitment(digits, invalid)
	if err != nil {
		return common.Commitment{}, status.Error(codes.InvalidArgument, err.Error())
	}
	addr, err := sdk.AccAddressFromBech32(owner)
	if err != nil {
		return common.Commitment{}, status.Error(codes.InvalidArgument, errorsmod.Wrapf(invalid, "owner %q: %v", owner, err).Error())
	}
	rec, err := c.Map.Get(ctx, CommitmentKey(addr, commitment))
	if errors.Is(err, collections.ErrNotFound) {
		return rec, status.Errorf(codes.NotFound, "no commitment %X by %s (never made, used, or expired)", commitment, owner)
	}
	return rec, err
}

// Import stores a genesis's commitments, their expiries filed.
func (c Commitments) Import(ctx context.Context, recs []common.Commitment) error {
	for _, rec := range recs {
		if err := c.put(ctx, rec); err != nil {
			return fmt.Errorf("commitment %X: %w", rec.Commitment, err)
		}
	}
	return nil
}

// Export returns every stored commitment.
func (c Commitments) Export(ctx context.Context) ([]common.Commitment, error) {
	var out []common.Commitment
	err := c.Map.Walk(ctx, nil, func(_ []byte, rec common.Commitment) (bool, error) {
		out = append(out, rec)
		return false, nil
	})
	return out, err
}

// Rebase maps every commitment's heights for a zero-height export: its
// height less the export's (0 or below: how long ago it was made, which its
// delay counts from), its expiry and keeping with common.RebaseHeight, at
// least 1 (what was due prunes in block 1), its entries refiled under them.
func (c Commitments) Rebase(ctx context.Context, exportHeight int64) error {
	recs, err := c.Export(ctx)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := c.remove(ctx, rec); err != nil {
			return fmt.Errorf("commitment %X: %w", rec.Commitment, err)
		}
		rec.Height -= exportHeight
		rec.ExpiresHeight = max(common.RebaseHeight(rec.ExpiresHeight, exportHeight), 1)
		rec.KeptUntilHeight = max(common.RebaseHeight(rec.KeptUntilHeight, exportHeight), 1)
		if err := c.put(ctx, rec); err != nil {
			return fmt.Errorf("commitment %X: %w", rec.Commitment, err)
		}
	}
	return nil
}
