package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// sample is the network at one block.
type sample struct {
	Height   int64          `json:"height"`
	Seconds  float64        `json:"seconds"` // since the jobs' block
	States   map[string]int `json:"states"`
	Commits  int            `json:"commits"`
	Reveals  int            `json:"reveals"`
	Results  int            `json:"results"`
	Forfeits int            `json:"forfeits"`
	Timeouts int            `json:"timeouts"`
	RSSKiB   int64          `json:"provider_rss_kib"`
}

// result is what the benchmark measured.
type result struct {
	Jobs        int           `json:"jobs"`
	PostHeight  int64         `json:"post_height"`
	StopSeconds float64       `json:"stop_seconds"` // SIGTERM to exit (0: no restart)
	Samples     []sample      `json:"samples"`
	Wall        time.Duration `json:"wall_ns"`
	options     *options
}

func waitGRPC(ctx context.Context, addr string) error {
	cl, err := chainclient.New(chainclient.Config{GRPCAddr: addr})
	if err != nil {
		return err
	}
	defer cl.Close()
	q := computetypes.NewQueryClient(cl.Conn)
	deadline := time.Now().Add(90 * time.Second)
	for {
		if _, err := q.Params(ctx, &computetypes.QueryParamsRequest{}); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node at %s not ready after 90 s", addr)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func runProvider(ctx context.Context, o *options) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	nw := &network{o: o}
	if err := nw.create(); err != nil {
		return err
	}
	defer nw.stop()
	if err := nw.start(ctx); err != nil {
		return err
	}
	alice, err := chainclient.New(chainclient.Config{GRPCAddr: nw.grpc(), ChainID: "aichain-local-1", KeyringDir: nw.home,
		KeyringBackend: "test", From: "alice", GasPrices: "0uaic", TxTimeout: 2 * time.Minute})
	if err != nil {
		return err
	}
	defer alice.Close()
	if err := waitProvider(ctx, alice, nw); err != nil {
		return err
	}
	res, err := follow(ctx, o, nw, alice)
	if err != nil {
		return err
	}
	return res.write()
}

// waitProvider waits until the provider agent has registered.
func waitProvider(ctx context.Context, cl *chainclient.Client, nw *network) error {
	q := computetypes.NewQueryClient(cl.Conn)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := q.Providers(ctx, &computetypes.QueryProvidersRequest{})
		if err == nil && len(res.Providers) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the provider agent did not register (see %s)", nw.provider.log)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// post creates the jobs from alice in one transaction.
func post(ctx context.Context, o *options, cl *chainclient.Client) (int64, error) {
	msgs := make([]sdk.Msg, o.jobs)
	for i := range msgs {
		msgs[i] = &computetypes.MsgCreateJob{
			Requester: cl.Address().String(), MaxPrice: sdk.NewInt64Coin("uaic", 5000),
			Workload: computetypes.WorkloadSpec{Kind: "gemm-f32", ChunkRows: o.chunkRows,
				Gemm: &computetypes.GemmSpec{M: o.m, N: o.n, K: o.k, Seed: uint64(i + 1)}},
			CommitBlocks: o.commit, RevealBlocks: o.reveal, ExecBlocks: o.exec,
		}
	}
	res, err := cl.Broadcast(ctx, msgs...)
	if err != nil {
		return 0, fmt.Errorf("post %d jobs: %w", o.jobs, err)
	}
	return res.Height, nil
}

// follow posts the jobs and records every block until they have all ended,
// stopping and restarting the agent once jobs are awarded.
func follow(ctx context.Context, o *options, nw *network, alice *chainclient.Client) (*result, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	blocks := alice.WatchBlocks(ctx, chainclient.WatchConfig{RPC: nw.rpc()})
	q := computetypes.NewQueryClient(alice.Conn)
	start := time.Now()
	postHeight, err := post(ctx, o, alice)
	if err != nil {
		return nil, err
	}
	res := &result{Jobs: o.jobs, PostHeight: postHeight, options: o}
	fmt.Printf("posted %d jobs at height %d\n", o.jobs, postHeight)
	restarted := !o.restart
	for b := range blocks {
		s := countEvents(b)
		s.Height, s.Seconds, s.RSSKiB = b.Height, time.Since(start).Seconds(), nw.provider.rssKiB()
		st, err := q.Stats(ctx, &computetypes.QueryStatsRequest{})
		if err != nil {
			continue
		}
		s.States = map[string]int{}
		for _, c := range st.Stats.JobsPerState {
			s.States[strings.TrimPrefix(c.State.String(), "JOB_STATE_")] = int(c.Count)
		}
		res.Samples = append(res.Samples, s)
		fmt.Printf("h=%d t=%.0fs %v commits=%d reveals=%d results=%d rss=%dMiB\n", s.Height, s.Seconds, s.States, s.Commits, s.Reveals, s.Results, s.RSSKiB>>10)
		if !restarted && s.States["ASSIGNED"] > 0 {
			restarted = true
			took := nw.provider.terminate()
			res.StopSeconds = took.Seconds()
			fmt.Printf("SIGTERM: the agent stopped in %s; restarting\n", took.Round(time.Millisecond))
			time.Sleep(2 * time.Second)
			if err := nw.provider.start(); err != nil {
				return nil, err
			}
		}
		if ended(s.States) >= o.jobs {
			res.Wall = time.Since(start)
			return res, nil
		}
	}
	return nil, errors.Join(errors.New("the jobs did not all end in time"), ctx.Err(), res.write())
}

func ended(states map[string]int) int {
	return states["SETTLED"] + states["EXPIRED"] + states["FAILED"] + states["CANCELLED"]
}

// countEvents counts a block's bids, reveals, results, forfeits and timeouts.
func countEvents(b chainclient.Block) sample {
	var s sample
	for _, ev := range b.Events {
		if !strings.HasPrefix(ev.Type, "aichain.compute.v1.") {
			continue
		}
		msg, err := sdk.ParseTypedEvent(abci.Event{Type: ev.Type, Attributes: ev.Attributes})
		if err != nil {
			continue
		}
		switch e := msg.(type) {
		case *computetypes.EventBidCommitted:
			s.Commits++
		case *computetypes.EventBidRevealed:
			s.Reveals++
		case *computetypes.EventResultSubmitted:
			s.Results++
		case *computetypes.EventDepositForfeited:
			s.Forfeits++
		case *computetypes.EventJobClosed:
			if e.CloseReason == computetypes.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT {
				s.Timeouts++
			}
		}
	}
	return s
}

func (r *result) path(ext string) string {
	return filepath.Join(r.options.out, "provider-bench."+ext)
}
