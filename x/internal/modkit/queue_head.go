package modkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"
)

// QueueHeads stores, per queue name, the head of each of a module's
// due-queues: a lower bound on the due time of the queue's earliest entry,
// or the mark that the queue is empty. With it, a block in which nothing is
// due reads one small entry per queue instead of opening an iterator on each,
// whose cost grows with the size of the store (issue 20: an idle block with
// 100,000 open jobs cost 2 × one with 100 on LevelDB).
//
// A head is stored as headEmpty, or headAt followed by the due time in the
// queue's key encoding (which orders as the due times do). A queue without
// a head (a new chain, a chain that just upgraded, a queue filled by genesis
// import) is walked by its next DrainDue, which then stores one.
type QueueHeads = collections.Map[string, []byte]

const (
	headEmpty byte = 0
	headAt    byte = 1
)

// errMalformedHead is a stored head that decodes to neither form. Only a
// bug could write one; a drain then walks the queue and stores a good head
// (CheckHead reports it), so that it never halts a block.
var errMalformedHead = errors.New("malformed queue head")

// NewQueueHeads adds a module's queue heads to its schema.
func NewQueueHeads(sb *collections.SchemaBuilder, prefix collections.Prefix) QueueHeads {
	return collections.NewMap(sb, prefix, "queue_heads", collections.StringKey, collections.BytesValue)
}

// Queue is a due-queue: a key set of (when, id), where when is a height
// (int64) or a block time (time.Time). An entry falls due once when is at or
// before the current block's. Its head (QueueHeads) is kept a lower bound on
// every entry's due time: Set lowers it when it files an entry earlier than
// the head; Remove and Clear leave it (a bound on more entries bounds fewer),
// and DrainDue sets it to the earliest entry again after it took any. Every
// insert must go through Set (the embedded KeySet's Set would not lower the
// head, and the entry would wait until something earlier falls due).
type Queue[T, K any] struct {
	collections.KeySet[collections.Pair[T, K]]
	name  string
	heads QueueHeads
	when  collcodec.KeyCodec[T]
}

// NewQueue adds a due-queue named name under prefix to the schema; its head
// lives in heads under the same name.
func NewQueue[T, K any](sb *collections.SchemaBuilder, prefix collections.Prefix, name string, heads QueueHeads,
	when collcodec.KeyCodec[T], id collcodec.KeyCodec[K],
) Queue[T, K] {
	return Queue[T, K]{
		KeySet: collections.NewKeySet(sb, prefix, name, collections.PairKeyCodec(when, id)),
		name:   name, heads: heads, when: when,
	}
}

// Name is the queue's schema name.
func (q Queue[T, K]) Name() string { return q.name }

// Set files an entry, lowering the head if the entry is due before it.
func (q Queue[T, K]) Set(ctx context.Context, key collections.Pair[T, K]) error {
	if err := q.KeySet.Set(ctx, key); err != nil {
		return err
	}
	lower, err := q.headAfter(ctx, key.K1())
	if err != nil || !lower {
		return err
	}
	return q.setHead(ctx, key.K1())
}

// headAfter reports whether a head is stored and is later than when (an
// empty queue's head is later than any time). A missing or malformed head is
// not: the next drain walks the queue and stores a good one.
func (q Queue[T, K]) headAfter(ctx context.Context, when T) (bool, error) {
	head, known, err := q.head(ctx)
	if errors.Is(err, errMalformedHead) {
		return false, nil
	}
	if err != nil || !known {
		return false, err
	}
	if head == nil {
		return true, nil
	}
	at, err := q.encode(when)
	if err != nil {
		return false, err
	}
	return bytes.Compare(head, at) > 0, nil
}

// setHead stores when as the head.
func (q Queue[T, K]) setHead(ctx context.Context, when T) error {
	at, err := q.encode(when)
	if err != nil {
		return err
	}
	return q.heads.Set(ctx, q.name, append([]byte{headAt}, at...))
}

// head reads the stored head: known is false when none is stored; a known
// head of nil is an empty queue's.
func (q Queue[T, K]) head(ctx context.Context) (when []byte, known bool, err error) {
	v, err := q.heads.Get(ctx, q.name)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case len(v) == 1 && v[0] == headEmpty:
		return nil, true, nil
	case len(v) > 1 && v[0] == headAt:
		return v[1:], true, nil
	}
	return nil, false, fmt.Errorf("queue %s: %w %x", q.name, errMalformedHead, v)
}

// idleAt reports whether the head shows that nothing is due at upTo.
func (q Queue[T, K]) idleAt(ctx context.Context, upTo T) (bool, error) { return q.headAfter(ctx, upTo) }

// resetHead stores the exact head: the earliest entry's due time, or empty.
func (q Queue[T, K]) resetHead(ctx context.Context) error {
	first, ok, err := q.first(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return q.heads.Set(ctx, q.name, []byte{headEmpty})
	}
	return q.setHead(ctx, first.K1())
}

// first is the queue's earliest entry.
func (q Queue[T, K]) first(ctx context.Context) (key collections.Pair[T, K], ok bool, err error) {
	err = q.Walk(ctx, nil, func(k collections.Pair[T, K]) (bool, error) {
		key, ok = k, true
		return true, nil
	})
	return key, ok, err
}

// CheckHead checks the head's invariant (for tests and simulations): when a
// head is stored, no entry is due before it, and an empty head's queue is
// empty.
func (q Queue[T, K]) CheckHead(ctx context.Context) error {
	if _, _, err := q.head(ctx); err != nil { // a malformed head too
		return err
	}
	first, ok, err := q.first(ctx)
	if err != nil || !ok {
		return err
	}
	after, err := q.headAfter(ctx, first.K1())
	if err != nil {
		return err
	}
	if after {
		return fmt.Errorf("queue %s: an entry is due at %v, before the head", q.name, first.K1())
	}
	return nil
}

func (q Queue[T, K]) encode(when T) ([]byte, error) {
	buf := make([]byte, q.when.Size(when))
	n, err := q.when.Encode(buf, when)
	return buf[:n], err
}
