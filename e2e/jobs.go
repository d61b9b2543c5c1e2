package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Client returns a chain client of node0 signing with key (node0's keyring).
func (c *Chain) Client(t testing.TB, key string) *chainclient.Client {
	t.Helper()
	cl, err := chainclient.New(chainclient.Config{GRPCAddr: c.Nodes[0].GRPCAddr(), ChainID: ChainID, KeyringDir: c.Home(),
		KeyringBackend: "test", From: key, GasPrices: "0uaic", TxTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// jobBatch is n jobs that one requester posts in one transaction.
type jobBatch struct {
	N                      int
	M, Ncols, K, ChunkRows uint64
	MaxPrice               string
	Commit, Reveal, Exec   uint64
}

// postJobs posts the batch's gemm jobs (seeds 1..N) as key in one
// transaction, hence one block, and returns their ids.
func (c *Chain) postJobs(t testing.TB, key string, b jobBatch) []uint64 {
	t.Helper()
	cl := c.Client(t, key)
	price, err := sdk.ParseCoinNormalized(b.MaxPrice)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]sdk.Msg, b.N)
	for i := range msgs {
		msgs[i] = &computetypes.MsgCreateJob{
			Requester: cl.Address().String(), MaxPrice: price,
			Workload: computetypes.WorkloadSpec{Kind: "gemm-f32", ChunkRows: b.ChunkRows,
				Gemm: &computetypes.GemmSpec{M: b.M, N: b.Ncols, K: b.K, Seed: uint64(i + 1)}},
			CommitBlocks: b.Commit, RevealBlocks: b.Reveal, ExecBlocks: b.Exec,
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cl.Broadcast(ctx, msgs...)
	if err != nil {
		t.Fatalf("post %d jobs: %v", b.N, err)
	}
	var ids []uint64
	for _, ev := range res.Events {
		msg, err := sdk.ParseTypedEvent(abci.Event{Type: ev.Type, Attributes: ev.Attributes})
		if created, ok := msg.(*computetypes.EventJobCreated); err == nil && ok {
			ids = append(ids, created.JobId)
		}
	}
	if len(ids) != b.N {
		t.Fatalf("posted %d jobs, %d created in block %d", b.N, len(ids), res.Height)
	}
	return ids
}

// jobStates returns each job, by id.
func jobStates(t testing.TB, q computetypes.QueryClient, ids []uint64) map[uint64]computetypes.Job {
	t.Helper()
	out := map[uint64]computetypes.Job{}
	for _, id := range ids {
		err := Retry(func(ctx context.Context) error {
			res, err := q.Job(ctx, &computetypes.QueryJobRequest{JobId: id})
			if err == nil {
				out[id] = res.Job
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// countStates counts jobs by state name.
func countStates(jobs map[uint64]computetypes.Job) map[string]int {
	n := map[string]int{}
	for _, j := range jobs {
		n[j.State.String()]++
	}
	return n
}

// waitAllEnded waits until every job is in a terminal state and returns them.
func (c *Chain) waitAllEnded(t testing.TB, ids []uint64, timeout time.Duration, logs ...*Process) map[uint64]computetypes.Job {
	t.Helper()
	deadline := time.Now().Add(timeout)
	q := computetypes.NewQueryClient(c.Client(t, "").Conn)
	for {
		jobs := jobStates(t, q, ids)
		done := 0
		for _, j := range jobs {
			if j.State.IsTerminal() {
				done++
			}
		}
		if done == len(ids) {
			return jobs
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("after %s: %v", timeout, countStates(jobs))
			for _, p := range logs {
				msg += fmt.Sprintf("\n%s:\n%s", p.Name, p.LogTail(30))
			}
			t.Fatal(msg)
		}
		time.Sleep(time.Second)
	}
}
