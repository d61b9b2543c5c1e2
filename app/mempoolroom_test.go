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

	if err := r.admit(301); !errors.Is(err, sdkerrors.ErrMempoolIsFull) {
		t.Fatalf("700 + 301 bytes of 1000: got %v, want the mempool full", err)
	}
	for range 2 {
		if err := r.admit(100); err != nil {
			t.Fatalf("room for a transaction of 100 bytes: %v", err)
		}
		r.took(100)
	}
	if err := r.admit(1); !errors.Is(err, sdkerrors.ErrMempoolIsFull) {
		t.Fatalf("2 held and 2 admitted of 4: got %v, want the mempool full", err)
	}
	if reads != 1 {
		t.Fatalf("the mempool was read %d times in one height, want once", reads)
	}

	held = &coretypes.ResultUnconfirmedTxs{Total: 3, TotalBytes: 300}
	r.committed()
	if err := r.admit(700); err != nil {
		t.Fatalf("after the commit, 3 held of 4 and 300 + 700 bytes of 1000: %v", err)
	}
	r.took(700)
	if err := r.admit(1); !errors.Is(err, sdkerrors.ErrMempoolIsFull) {
		t.Fatalf("4 of 4 after the commit: got %v, want the mempool full", err)
	}
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
	if err := r.admit(10); err != nil {
		t.Fatalf("one place left: %v", err)
	}
	r.took(10)
	if err := r.admit(10); !errors.Is(err, sdkerrors.ErrMempoolIsFull) {
		t.Fatalf("got %v, want the mempool full", err)
	}
}
