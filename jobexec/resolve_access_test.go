package jobexec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
)

// A dataset server's 403 (no access yet: the provider asked a moment before
// its award reached the server) is not remembered as a failure: the next
// try reaches the server and reads the rows. A server error is remembered
// (ErrRecentFailure) and not retried before FailureTTL.
func TestAccessRefusalIsRetriedAtOnce(t *testing.T) {
	m := testData()
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	var status atomic.Int32
	status.Store(http.StatusForbidden)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := int(status.Load()); s != http.StatusOK {
			http.Error(w, `{"error":"no_access"}`, s)
			return
		}
		_, _ = w.Write(npy)
	}))
	defer srv.Close()
	rec := record(t, npy, m, 6)
	rec.Uri = srv.URL
	r := NewChainResolver(ResolverConfig{
		Datasets: fakeDatasets{ds: rec}, Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(t.TempDir(), "cache"), Fetch: FetchPolicy{AllowLocal: true},
	})
	ctx := context.Background()
	if _, err := r.Dataset(ctx, 1, 0); err == nil {
		t.Fatal("a refused download succeeded")
	}
	status.Store(http.StatusOK) // the award
	if _, err := r.Dataset(ctx, 1, 0); err != nil {
		t.Fatalf("after the award: %v", err)
	}

	r2 := NewChainResolver(ResolverConfig{
		Datasets: fakeDatasets{ds: rec}, Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(t.TempDir(), "cache"), Fetch: FetchPolicy{AllowLocal: true},
	})
	status.Store(http.StatusBadGateway)
	if _, err := r2.Dataset(ctx, 1, 0); err == nil {
		t.Fatal("a failed download succeeded")
	}
	status.Store(http.StatusOK)
	if _, err := r2.Dataset(ctx, 1, 0); !errors.Is(err, ErrRecentFailure) {
		t.Fatalf("a server failure retried at once: %v", err)
	}
}
