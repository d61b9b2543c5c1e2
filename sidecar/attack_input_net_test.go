package sidecar

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackOwnNetworkDownVotesTheDatasetGone: the connectivity check kept
// a validator whose own network was down from voting UNAVAILABLE on a
// provider, but not from voting DATASET_UNAVAILABLE on an aborted job's
// dataset (a failed dial is the server gone), which refunds the dataset fee
// from an honest owner and releases an aborting provider's collateral when
// a third of the validators share an outage. With its network down, a
// sidecar now abstains on an input check that found the inputs absent,
// tries again at the next poll without counting it against the job, and
// once its network is back votes as before.
func TestAttackOwnNetworkDownVotesTheDatasetGone(t *testing.T) {
	model, ds := mlpFixture(t)
	rec := ds.Record
	rec.Uri = "http://127.0.0.1:1" // nothing listens
	offline := true
	cfg := testConfig()
	cfg.MLP = mlpSource{model: model, ds: rec}
	cfg.Connectivity = func(context.Context) error {
		if offline {
			return errors.New("no route")
		}
		return nil
	}
	src := &chainSource{}
	v := New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu"))
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: 3,
		DatasetVersion: 1, VerificationEnd: 100}
	for h := int64(10); h <= 20; h++ {
		step(t, v, src, h, pv)
		for _, r := range v.Ready(h) {
			if r.Verdict != computetypes.Verdict_VERDICT_UNSPECIFIED {
				t.Fatalf("height %d, the validator's own network down: verdict %s", h, r.Verdict)
			}
		}
	}
	offline = false // the same sidecar: its outage counted no abstention
	step(t, v, src, 21, pv)
	if got := v.Ready(21); len(got) != 1 || got[0].Verdict != computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE {
		t.Fatalf("with the network up: %v, want DATASET_UNAVAILABLE", got)
	}
}

// unanswered is a datamarket query client whose node answers with code.
type unanswered struct {
	datamarkettypes.QueryClient
	code codes.Code
}

func (u unanswered) Dataset(context.Context, *datamarkettypes.QueryDatasetRequest, ...grpc.CallOption) (*datamarkettypes.QueryDatasetResponse, error) {
	return nil, status.Error(u.code, "dataset query")
}

// TestAttackUnreachableNodeVotesInputsGone: a sidecar whose own node did
// not answer the dataset's record query (down, timed out) voted
// INPUTS_UNAVAILABLE on an aborted job, which releases the aborting
// provider's collateral: nothing was known of the inputs. It now abstains
// (jobexec.ErrChainQuery); a node that answers the record does not exist
// still makes the inputs unavailable.
func TestAttackUnreachableNodeVotesInputsGone(t *testing.T) {
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: 3, DatasetVersion: 1}
	for code, want := range map[codes.Code]computetypes.Verdict{
		codes.Unavailable:      computetypes.Verdict_VERDICT_UNSPECIFIED,
		codes.DeadlineExceeded: computetypes.Verdict_VERDICT_UNSPECIFIED,
		codes.NotFound:         computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE,
	} {
		cfg := testConfig()
		cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{Datasets: unanswered{code: code}})
		v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
		if got, why := v.Verify(context.Background(), pv); got != want {
			t.Errorf("the node answering %s: %s (%s), want %s", code, got, why, want)
		}
	}
}
