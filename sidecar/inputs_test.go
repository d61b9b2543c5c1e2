package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestInputsCheckOfAnAbortedJob: on a job listed with inputs_check (its
// winner aborted it), the sidecar votes INPUTS_AVAILABLE when the model
// loads and runs on the dataset and the dataset's server holds the version
// (a 403 to the validator's signed probe: no licence, but the file is
// there), DATASET_UNAVAILABLE when the server does not hold it, refuses the
// signature or does not answer, INPUTS_UNAVAILABLE when the model is gone or
// cannot run on the rows,
// and abstains without a source or a signing key.
func TestInputsCheckOfAnAbortedJob(t *testing.T) {
	model, ds := mlpFixture(t)
	status := http.StatusForbidden
	var probed string
	signer := signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probed = r.URL.RequestURI()
		if r.Header.Get(signedreq.HeaderAddress) != signer.Address() {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	rec := ds.Record
	rec.Uri = srv.URL
	cfg := Config{FetchTimeout: 300 * time.Millisecond, FetchRetries: 2, RetryBackoff: 10 * time.Millisecond,
		Signer: signer, Fetch: jobexec.FetchPolicy{AllowLocal: true}}
	newV := func(src MLPSource) *Verifier {
		c := cfg
		c.MLP = src
		return New(c,
			nil, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
	}
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: 3, DatasetVersion: 1}
	check := func(v *Verifier, pv computetypes.PendingVerification, want computetypes.Verdict) {
		t.Helper()
		got, why := v.Verify(context.Background(), pv)
		if got != want {
			t.Fatalf("verdict %s (%s), want %s", got, why, want)
		}
	}

	check(newV(mlpSource{model: model, ds: rec}), pv, computetypes.Verdict_VERDICT_INPUTS_AVAILABLE)
	if probed != "/v1/datasets/3/chunks/0?version=1" {
		t.Fatalf("probed %q", probed)
	}
	for _, status = range []int{http.StatusNotFound, http.StatusUnauthorized} {
		check(newV(mlpSource{model: model, ds: rec}), pv, computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE)
	}
	status = http.StatusForbidden

	gone := pv
	gone.ModelId = 7 // the source has no model 7
	check(newV(mlpSource{model: model, ds: rec}), gone, computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE)

	huge := rec
	huge.Rows = 1 << 30 // 2^30 rows × 5 hidden units exceed 2^31 values
	check(newV(mlpSource{model: model, ds: huge}), pv, computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE)

	down := rec
	down.Uri = "http://127.0.0.1:1" // nothing listens
	check(newV(mlpSource{model: model, ds: down}), pv, computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE)

	check(newV(nil), pv, computetypes.Verdict_VERDICT_UNSPECIFIED)
	cfg.Signer = nil
	check(newV(mlpSource{model: model, ds: rec}), pv, computetypes.Verdict_VERDICT_UNSPECIFIED)
}

// erringModels is an mlp source whose model fetch fails with err.
type erringModels struct {
	mlpSource
	err error
}

func (s erringModels) Model(context.Context, uint64) (*workload.Model, error) { return nil, s.err }

// TestAttackModelServerMakesInputChecksAbstain: a requester that owns the
// model runs the winner of a job over an honest owner's dataset, which
// aborts at award. Its model server then answers every validator's input
// check with a Content-Length over every agent's limit, or a redirect off
// http(s): the sidecar abstained on both (as on a check it cannot run), so
// the check reached no quorum and the abort stood without the inputs being
// shown absent. Both are the model's server failing, and are voted
// INPUTS_UNAVAILABLE like a model that is gone: the abort stands on a
// quorum, with the dataset fee paid (the rows were granted). A sidecar
// without a source for the kind still abstains.
func TestAttackModelServerMakesInputChecksAbstain(t *testing.T) {
	model, ds := mlpFixture(t)
	rec := ds.Record
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden) // the dataset is held (no licence)
	}))
	defer srv.Close()
	rec.Uri = srv.URL
	// A real redirect off http(s), through the agents' fetch policy.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.invalid/weights", http.StatusFound)
	}))
	defer redirect.Close()
	res, err := jobexec.FetchPolicy{AllowLocal: true}.HTTPClient().Get(redirect.URL)
	if err == nil {
		res.Body.Close()
		t.Fatal("a redirect to ftp was followed")
	}
	if errors.Is(err, jobexec.ErrUnsupported) || !errors.Is(err, jobexec.ErrBadRedirect) {
		t.Fatalf("a redirect off http(s): %v, want ErrBadRedirect (a failed fetch), not ErrUnsupported", err)
	}
	cfg := Config{FetchTimeout: 300 * time.Millisecond, FetchRetries: 2, RetryBackoff: 10 * time.Millisecond,
		Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}, Fetch: jobexec.FetchPolicy{AllowLocal: true}}
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: 3, DatasetVersion: 1}
	for _, c := range []struct {
		name string
		err  error
		want computetypes.Verdict
	}{
		{"announced over the limit", fmt.Errorf("model 2 weights: %w: 1099511627776 bytes, limit 1073741824", workload.ErrTooLarge), computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE},
		{"redirect off http(s)", fmt.Errorf("model 2 weights: %w", err), computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE},
		{"no source for the kind", fmt.Errorf("%w: no gpt source", jobexec.ErrUnsupported), computetypes.Verdict_VERDICT_UNSPECIFIED},
	} {
		c2 := cfg
		c2.MLP = erringModels{mlpSource{model: model, ds: rec}, c.err}
		v := New(c2, nil, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
		if got, why := v.Verify(context.Background(), pv); got != c.want {
			t.Errorf("%s: verdict %s (%s), want %s", c.name, got, why, c.want)
		}
	}
}
