package chainclient

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
)

// Block is a new block as an agent sees it. From the node's websocket it
// carries the block's events (begin, end and every tx's) and its txs'
// results; from polling only the height and time (Events is nil, Full false).
type Block struct {
	Height int64
	Time   time.Time
	// Full: Events and Txs are the block's whole set.
	Full   bool
	Events []abci.Event
	// Txs are the block's txs by upper-case hex hash, with their code.
	Txs map[string]uint32
}

// WatchConfig configures WatchBlocks.
type WatchConfig struct {
	// RPC is the node's CometBFT RPC address (tcp://host:port); empty: poll
	// over gRPC only.
	RPC string
	// Poll is the polling interval when the websocket is down (default 500 ms).
	Poll time.Duration
	// Retry is how often a lost websocket is re-opened (default 10 s).
	Retry time.Duration
	Log   *slog.Logger
}

// WatchBlocks sends every new block until ctx ends: from a websocket
// subscription to the node's NewBlock events when it can, else by polling
// the latest height over gRPC (then heights may be skipped under load, and
// a block comes without events). The channel is closed when ctx ends.
func (c *Client) WatchBlocks(ctx context.Context, cfg WatchConfig) <-chan Block {
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	out := make(chan Block, 16)
	go func() {
		defer close(out)
		var last int64
		for ctx.Err() == nil {
			if cfg.RPC != "" {
				err := c.subscribe(ctx, cfg.RPC, out, &last)
				if ctx.Err() != nil {
					return
				}
				cfg.Log.Warn("block subscription down; polling the node", "rpc", cfg.RPC, "err", err)
			}
			c.poll(ctx, cfg, out, &last)
		}
	}()
	return out
}

// subscribe forwards NewBlock events until the subscription ends.
func (c *Client) subscribe(ctx context.Context, rpc string, out chan<- Block, last *int64) error {
	cl, err := rpchttp.New(rpc, "/websocket")
	if err != nil {
		return err
	}
	if err := cl.Start(); err != nil {
		return err
	}
	defer func() { _ = cl.Stop() }()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	events, err := cl.Subscribe(sctx, "aichain-agent", cmttypes.QueryForEvent(cmttypes.EventNewBlock).String(), 256)
	cancel()
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return fmt.Errorf("the node closed the subscription")
			}
			nb, ok := ev.Data.(cmttypes.EventDataNewBlock)
			if !ok || nb.Block == nil {
				continue
			}
			b := blockOf(nb)
			*last = b.Height
			select {
			case out <- b:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

func blockOf(nb cmttypes.EventDataNewBlock) Block {
	b := Block{Height: nb.Block.Height, Time: nb.Block.Time, Full: true, Txs: map[string]uint32{}}
	b.Events = append(b.Events, nb.ResultFinalizeBlock.Events...)
	for i, tx := range nb.Block.Txs {
		hash := strings.ToUpper(hex.EncodeToString(tx.Hash()))
		if i < len(nb.ResultFinalizeBlock.TxResults) {
			r := nb.ResultFinalizeBlock.TxResults[i]
			b.Txs[hash] = r.Code
			if r.Code == 0 {
				b.Events = append(b.Events, r.Events...)
			}
		}
	}
	return b
}

// poll sends the latest height whenever it grows, for up to the retry
// interval when a websocket is configured (then it tries it again).
func (c *Client) poll(ctx context.Context, cfg WatchConfig, out chan<- Block, last *int64) {
	svc := cmtservice.NewServiceClient(c.Conn)
	var until <-chan time.Time
	if cfg.RPC != "" {
		until = time.After(cfg.Retry)
	}
	t := time.NewTicker(cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-until:
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := svc.GetLatestBlock(qctx, &cmtservice.GetLatestBlockRequest{})
		cancel()
		if err != nil || res.SdkBlock == nil {
			continue
		}
		h := res.SdkBlock.Header.Height
		if h <= *last {
			continue
		}
		*last = h
		select {
		case out <- Block{Height: h, Time: res.SdkBlock.Header.Time}:
		case <-ctx.Done():
			return
		}
	}
}
