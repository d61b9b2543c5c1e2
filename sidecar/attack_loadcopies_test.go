package sidecar

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackSecondURIOfAFileDropsItsLoadEverySlice: hostile party: anyone
// who registers a model's public weights file (its sha256) again under a
// model id of its own with another uri (or the model's owner, who
// re-releases it as a new version under a new uri) and has a job on it
// under verification. Loads of one file under two uris run one at a time
// and keep one copy of the file (loadbytes.go): at each pause, the load
// that paused dropped the other's kept bytes. The two loads took the slot
// in turn, each pause dropping what the other had received, so each run
// started from byte zero and neither got past one slice of the file: a
// model that takes more than a slice to fetch never loaded from its uri
// (its checks went to the providers, or waited to the end of their
// windows). The copy kept is now the one that holds more. Scaled: a
// 1.5 MiB file sent at about 3 MiB/s (five slices of 100 ms), the fetch
// policy's Timeout a minute (no cut in the test): one of the loads must end
// within 6 s, the file resumed with a Range.
func TestAttackSecondURIOfAFileDropsItsLoadEverySlice(t *testing.T) {
	slow, sha, uri := servePacedWeights(t, nil)
	reg := modelreg.Of(
		modelregistrytypes.Model{Id: 2, Uri: uri, Sha256: sha, InputDim: 3, OutputDim: 2},
		modelregistrytypes.Model{Id: 5, Uri: uri + "?copy=1", Sha256: strings.ToUpper(sha), InputDim: 3, OutputDim: 2})
	cfg := testConfig()
	cfg.Workers, cfg.MaxWeightsBytes, cfg.ModelLoadBytes, cfg.CheckSlice = 2, 4<<20, 16<<20, 100*time.Millisecond
	cfg.Fetch.Timeout = time.Minute
	cfg.Models = reg
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{Fetch: cfg.Fetch, Models: reg})
	v := New(cfg, staticSource{}, cpu.New(), quiet(), NewMetrics("cpu"))
	runVerifier(t, v)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 2)
	for _, model := range []uint64{2, 5} {
		awaitModelInto(ctx, v, model, model, done)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the first load of the file to end: %v", err)
		}
	case <-time.After(6 * time.Second):
		resumed := 0
		for _, r := range slow.asked() {
			if r != "" {
				resumed++
			}
		}
		t.Fatalf("neither load of a %d-byte file (two uris) ended within 6 s: the uri was asked %d times, %d of them "+
			"resuming with a Range, and sent %d bytes: each pause dropped the other load's bytes",
			len(slow.file), len(slow.asked()), resumed, slow.sent.Load())
	}
}
