package sidecar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackModelBlipVotesInputsGone: hostile party: the winner of
// a job that aborts it (MsgAbortJob) claiming its inputs unavailable, when
// they are not. Every validator's sidecar checks the inputs at its next
// poll, a moment the winner knows (right after its abort lands), and votes
// INPUTS_UNAVAILABLE (the winner's collateral released, the requester's job
// gone) at that one poll: an input check has no span. Its FetchRetries
// attempts ("tried FetchRetries times, RetryBackoff apart, before the inputs
// are called unavailable", inputs.go) are meant to ride out a blip, but the
// model is fetched through ChainResolver, whose failure cache
// (jobexec/fetch.go failures, FailureTTL 1 min) answers every attempt after
// the first with the first's error ("failed recently; not retried yet")
// without asking the server again. So one failed request to the model's uri
// (a single 500, a dropped connection: a moment's flood of the model server
// by the winner suffices) is INPUTS_UNAVAILABLE, although the server serves
// the weights at the very next request. Correct behaviour: the check's
// retries reach the server (the input check does not read the failure
// cache, or a failed first attempt is not final), and a model served at the
// second attempt is INPUTS_AVAILABLE.
func TestAttackModelBlipVotesInputsGone(t *testing.T) {
	model, ds := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	var asked atomic.Int64
	modelSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if asked.Add(1) == 1 { // one blip
			http.Error(w, "flooded", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(file)
	}))
	t.Cleanup(modelSrv.Close)
	dataSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden) // the version is held (no licence)
	}))
	t.Cleanup(dataSrv.Close)
	rec := ds.Record
	rec.Uri = dataSrv.URL

	cfg := testConfig()
	cfg.FetchRetries = 3
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: modelSrv.URL + "/m.safetensors", Sha256: sha,
			InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: rec},
		Fetch:    cfg.Fetch,
	})
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: 3, DatasetVersion: 1}
	got, why := v.Verify(context.Background(), pv)
	if got != computetypes.Verdict_VERDICT_INPUTS_AVAILABLE {
		t.Fatalf("the model's server failed one request and serves the weights after it: %s (%s) after %d of %d attempts "+
			"reached it, want INPUTS_AVAILABLE", got, why, asked.Load(), cfg.FetchRetries)
	}
}

// TestAttackOtherJobsFailureDecidesInputs: the failure that decides an input
// check need not be its own. Any fetch of the model by this sidecar (another
// job's verification or input check, a moment earlier) left its failure in
// the resolver's memory for FailureTTL, and every attempt of the input
// check read it instead of the server: one failed request before the check
// voted INPUTS_UNAVAILABLE, even with a single attempt. Every attempt of an
// input check now asks the server itself (jobexec.WithFreshFetch).
func TestAttackOtherJobsFailureDecidesInputs(t *testing.T) {
	model, ds := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int64
	modelSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if asked.Add(1) == 1 { // the blip another job's fetch met
			http.Error(w, "flooded", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(file)
	}))
	t.Cleanup(modelSrv.Close)
	dataSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden) // the version is held (no licence)
	}))
	t.Cleanup(dataSrv.Close)
	rec := ds.Record
	rec.Uri = dataSrv.URL

	cfg := testConfig()
	cfg.FetchRetries = 1
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: modelSrv.URL + "/m.safetensors", Sha256: workload.SHA256Hex(file),
			InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: rec},
		Fetch:    cfg.Fetch,
	})
	cfg.MLP = resolver
	if _, err := resolver.Model(context.Background(), 2); err == nil {
		t.Fatal("fixture: the other job's fetch did not fail")
	}
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: 3, DatasetVersion: 1}
	if got, why := v.Verify(context.Background(), pv); got != computetypes.Verdict_VERDICT_INPUTS_AVAILABLE {
		t.Fatalf("the model's server failed another job's request and serves the weights after it: %s (%s), "+
			"%d requests reached it, want INPUTS_AVAILABLE", got, why, asked.Load())
	}
	// The success forgets the failure: the other jobs need not wait out its ttl.
	if _, err := resolver.Model(context.Background(), 2); err != nil {
		t.Fatalf("after the input check fetched the weights: %v", err)
	}
}

// TestAttackModelServerMakesEveryInputCheckRedownloadWeights: hostile party:
// a model owner (also requester and winner of cheap jobs on its model) whose
// uri serves the full weights with one byte changed (a sha256 mismatch, not
// a blip). Before 22e16a2 the resolver remembered that failure for
// FailureTTL, so every validator downloaded the file once per TTL whatever
// the number of jobs. Now every input check runs under
// jobexec.WithFreshFetch, which skips the memory for each of FetchRetries
// attempts of each aborted job: K aborted jobs on the model make every
// sidecar download K × FetchRetries full weight files (up to the sidecar's
// max fetch bytes each) within one TTL. The attacker pays K creation fees;
// every validator pays K × FetchRetries × size in bandwidth and hashing.
// Correct behaviour: a content mismatch (a server answering, with bytes that
// are not the file) is remembered across jobs, or one fresh fetch per
// attempt is shared by the checks of the same model at one poll.
func TestAttackModelServerMakesEveryInputCheckRedownloadWeights(t *testing.T) {
	model, ds := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	bad := append([]byte(nil), file...)
	bad[len(bad)-1] ^= 1 // same size, other bytes: never the file
	var asked, served atomic.Int64
	modelSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		n, _ := w.Write(bad)
		served.Add(int64(n))
	}))
	t.Cleanup(modelSrv.Close)
	dataSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(dataSrv.Close)
	rec := ds.Record
	rec.Uri = dataSrv.URL

	cfg := testConfig()
	cfg.FetchRetries = 3
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: modelSrv.URL + "/m.safetensors", Sha256: sha,
			InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: rec},
		Fetch:    cfg.Fetch, // FailureTTL 1 min: the whole test runs within it
	})
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	const jobs = 5
	for id := uint64(1); id <= jobs; id++ {
		pv := computetypes.PendingVerification{JobId: id, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: 3, DatasetVersion: 1}
		got, why := v.Verify(context.Background(), pv)
		t.Logf("job %d: %s (%s)", id, got, why)
	}
	if n := asked.Load(); n > int64(cfg.FetchRetries) {
		t.Fatalf("a model server serving the wrong bytes was downloaded %d times (%d bytes, file %d bytes) for %d aborted jobs "+
			"within one FailureTTL; want at most %d (one check's attempts): the attacker's %d jobs amplify every validator's download %d×",
			n, served.Load(), len(bad), jobs, cfg.FetchRetries, jobs, n/int64(cfg.FetchRetries))
	}
}
