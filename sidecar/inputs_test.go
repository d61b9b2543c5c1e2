package sidecar

import (
	"context"
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
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestInputsCheckOfAnAbortedJob: on a job listed with inputs_check (its
// winner aborted it), the sidecar votes INPUTS_AVAILABLE when the model
// loads and runs on the dataset and the dataset's server holds the version
// (a 403 to the validator's signed probe: no licence, but the file is
// there), INPUTS_UNAVAILABLE when the server does not hold it, refuses the
// signature, does not answer, the model is gone or cannot run on the rows,
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
		check(newV(mlpSource{model: model, ds: rec}), pv, computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE)
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
	check(newV(mlpSource{model: model, ds: down}), pv, computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE)

	check(newV(nil), pv, computetypes.Verdict_VERDICT_UNSPECIFIED)
	cfg.Signer = nil
	check(newV(mlpSource{model: model, ds: rec}), pv, computetypes.Verdict_VERDICT_UNSPECIFIED)
}
