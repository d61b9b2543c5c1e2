package app

import (
	"context"
	"errors"
	"testing"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// mapOptions is app options from a map (servertypes.AppOptions).
type mapOptions map[string]any

func (m mapOptions) Get(key string) any { return m[key] }

// The room counts what the mempool held at the first transaction after a
// commit and what the app admitted since, and refuses past either limit;
// it reads the mempool again only after the next commit.
func TestMempoolRoomCountsFromTheCommit(t *testing.T) {
	r := newMempoolRoom(mapOptions{"mempool.size": "4", "mempool.max_txs_bytes": 1000})
	if err := r.admit(2000); err != nil {
		t.Fatalf("without a node to read, the room must admit as before: %v", err)
	}
	held, reads := &coretypes.ResultUnconfirmedTxs{Total: 2, TotalBytes: 700}, 0
	r.setReader(func(context.Context) (*coretypes.ResultUnconfirmedTxs, error) { reads++; return held, nil })

	wantFull(t, r, 301, "700 + 301 bytes of 1000")
	for range 2 {
		wantTaken(t, r, 100, "room for a transaction of 100 bytes")
	}
	wantFull(t, r, 1, "2 held and 2 admitted of 4")
	if reads != 1 {
		t.Fatalf("the mempool was read %d times in one height, want once", reads)
	}

	held = &coretypes.ResultUnconfirmedTxs{Total: 3, TotalBytes: 300}
	r.committed()
	wantTaken(t, r, 700, "after the commit, 3 held of 4 and 300 + 700 bytes of 1000")
	wantFull(t, r, 1, "4 of 4 after the commit")
	if reads != 2 {
		t.Fatalf("the mempool was read %d times over two heights, want twice", reads)
	}
}

// A mempool that cannot be read leaves the room admitting, and counting
// nothing, until a read succeeds.
func TestMempoolRoomUnreadAdmits(t *testing.T) {
	r := newMempoolRoom(nil)
	if r.size != defaultMempoolSize || r.maxBytes != defaultMempoolMaxBytes {
		t.Fatalf("defaults: %d, %d", r.size, r.maxBytes)
	}
	fail := true
	r.setReader(func(context.Context) (*coretypes.ResultUnconfirmedTxs, error) {
		if fail {
			return nil, errors.New("node stopped")
		}
		return &coretypes.ResultUnconfirmedTxs{Total: defaultMempoolSize - 1}, nil
	})
	if err := r.admit(10); err != nil {
		t.Fatalf("unread: %v", err)
	}
	r.took(10)
	fail = false
	wantTaken(t, r, 10, "one place left")
	wantFull(t, r, 10, "no place left")
}

// wantTaken admits a transaction of n bytes to r and counts it.
func wantTaken(t *testing.T, r *mempoolRoom, n int, why string) {
	t.Helper()
	if err := r.admit(n); err != nil {
		t.Fatalf("%s: %v", why, err)
	}
	r.took(n)
}

// wantFull checks that r refuses a transaction of n bytes as the mempool
// being full.
func wantFull(t *testing.T, r *mempoolRoom, n int, why string) {
	t.Helper()
	if err := r.admit(n); !errors.Is(err, sdkerrors.ErrMempoolIsFull) {
		t.Fatalf("%s: got %v, want the mempool full", why, err)
	}
}
