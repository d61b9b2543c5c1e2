package sidecar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackBuyerRepointsBoughtModelToVoteInputsGone: hostile party: the
// buyer of a model (x/modelregistry MsgAcceptOwnership). A job created
// while the sale was offered locked the seller's availability bond, which
// pays the job's requester when an abort for unavailable weights stands.
// The buyer is that requester and runs the job's winner: it accepts, points
// the model's uri at a server that serves nothing (MsgUpdateUri) and
// aborts. The sidecar fetched the weights from the model's current uri
// alone, voted INPUTS_UNAVAILABLE, and the seller's bond paid the buyer
// (x/compute TestAttackBuyerTakesDownBoughtWeightsToCollectSellersBond),
// though the seller's server still served them. The job keeps the uri its
// bond vouched for (PendingVerification.model_uri), and the sidecar falls
// back to it: INPUTS_AVAILABLE.
func TestAttackBuyerRepointsBoughtModelToVoteInputsGone(t *testing.T) {
	model, _ := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	seller := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(file) }))
	t.Cleanup(seller.Close)
	buyer := httptest.NewServer(http.NotFoundHandler()) // serves nothing
	t.Cleanup(buyer.Close)
	// The model's record after the sale: the buyer's uri.
	check := inputCheck(t, buyer.URL+"/gone", workload.SHA256Hex(file))
	if got, why := check(seller.URL + "/m.safetensors"); got != computetypes.Verdict_VERDICT_INPUTS_AVAILABLE {
		t.Fatalf("the seller's server, the uri the job's bond vouched for, serves the weights: %s (%s), want INPUTS_AVAILABLE", got, why)
	}
	// A job that keeps no uri (it locked no bond) has the model's alone.
	if got, why := check(""); got != computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE {
		t.Fatalf("a job without a uri of its own, its model's uri serving nothing: %s (%s), want INPUTS_UNAVAILABLE", got, why)
	}
}

// inputCheck returns the input check of an aborted mlp job on model 2
// (recorded at modelURI with sha256 sha) over the dataset of mlpFixture,
// whose server holds the version: the verdict and why for a job that keeps
// jobURI (PendingVerification.model_uri; "": none).
func inputCheck(t *testing.T, modelURI, sha string) func(jobURI string) (computetypes.Verdict, string) {
	t.Helper()
	_, ds := mlpFixture(t)
	dataSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent) // the version is held
	}))
	t.Cleanup(dataSrv.Close)
	rec := ds.Record
	rec.Uri = dataSrv.URL
	return func(jobURI string) (computetypes.Verdict, string) {
		cfg := testConfig()
		cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
			Models:   modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: modelURI, Sha256: sha, InputDim: 3, OutputDim: 2}),
			Datasets: datasetRecords{rec: rec},
			Fetch:    cfg.Fetch,
		})
		v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
		pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: 3,
			DatasetVersion: 1, ModelUri: jobURI}
		return v.Verify(context.Background(), pv)
	}
}
