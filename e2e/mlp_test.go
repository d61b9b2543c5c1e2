package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// mlpModel is a 3→5→2 model with fixed, non-trivial weights (some hidden
// units go negative, so ReLU matters).
func mlpModel() *workload.Model {
	w0 := make([]float32, 15)
	for i := range w0 {
		w0[i] = float32(i%7)*0.25 - 0.8
	}
	w1 := make([]float32, 10)
	for i := range w1 {
		w1[i] = float32(i%5)*0.5 - 1
	}
	return &workload.Model{Layers: []workload.Layer{
		{In: 3, Out: 5, Weight: w0, Bias: []float32{0.1, -0.2, 0.3, -0.4, 0.5}},
		{In: 5, Out: 2, Weight: w1, Bias: []float32{0.05, -0.05}},
	}}
}

// paramBps reads an integer *_bps field of a module's REST params.
func paramBps(t *testing.T, c *Chain, path, field string) int64 {
	t.Helper()
	var res struct {
		Params map[string]any `json:"params"`
	}
	getJSON(t, c, path, &res)
	n, err := strconv.ParseInt(fmt.Sprint(res.Params[field]), 10, 64)
	if err != nil {
		t.Fatalf("%s %s = %v: %v", path, field, res.Params[field], err)
	}
	return n
}

// TestMLPJobEndToEnd runs an mlp-f32 job through a real provider agent, a
// real verifier sidecar and a real dataset server on a one-validator chain:
// alice registers a model (weights served over HTTP) with two shares and
// lists a dataset with a PER_JOB offer and two shares; bob creates an mlp
// job; the provider bids, downloads the dataset with a signed request
// (job access), executes and submits; the sidecar checks every sampled chunk
// from the served input rows; the job settles VALID and every party is paid
// to the coin.
func TestMLPJobEndToEnd(t *testing.T) {
	c := startMLPChain(t)
	n := c.Nodes[0]
	dir := t.TempDir()
	alice, bob, carol, dave, prov := c.Addr("alice"), c.Addr("bob"), c.Addr("carol"), c.Addr("dave"), c.Addr("provider")

	assertDefaultFees(t, c)
	m := listMLPMarket(t, c)

	// The sidecar and the provider agent.
	sidecar := StartSidecar(t, dir, "sidecar", n)
	provider := c.StartProvider(t, dir, "provider", n.SparePort(1), "1000uaic")
	pool := srModuleAddr(t, "reward_pool")
	accounts := []string{alice, bob, carol, dave, prov, pool}
	before := map[string]int64{}
	for _, a := range accounts {
		before[a] = c.restBalance(t, a).Int64()
	}

	// bob creates the mlp job (max price 5000uaic): it locks its 700uaic
	// dataset fee of alice's model bond until it closes.
	id := c.createMLPJob(t)
	if b := modelBond(t, c, alice); b != "100000/700" {
		t.Fatalf("alice's model bond while bob's job runs: %s (bonded/locked), want 100000/700", b)
	}
	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("mlp job ended %s / %s, want SETTLED by verification\nprovider:\n%s\nsidecar:\n%s",
			j.State, j.CloseReason, provider.LogTail(30), sidecar.LogTail(30))
	}
	if !j.Sample.Selected || len(j.Sample.Indices) == 0 || j.Winner != prov {
		t.Fatalf("job %s: sample %+v, winner %s", id, j.Sample, j.Winner)
	}
	// The output root is exactly the model over the dataset.
	job, err := workload.NewMLPJob(m.Model, m.Data, 8)
	if err != nil {
		t.Fatal(err)
	}
	wantRoot, wantChunks, err := workload.OutputRoot(t.Context(), job, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	root, err := base64.StdEncoding.DecodeString(j.Result.OutputRoot)
	if err != nil || string(root) != string(wantRoot[:]) || j.Result.ChunkCount != strconv.Itoa(wantChunks) {
		t.Fatalf("output root %x / %s chunks, want %x / %d (%v)", root, j.Result.ChunkCount, wantRoot, wantChunks, err)
	}
	// The job is over: its chunks are its requester's alone, without the
	// input rows (the validators read those while they verified it, and the
	// sidecar's VALID checked them against the dataset's content root).
	chunk := c.fetchChunk(t, "bob", n.SparePort(1), id, 2)
	if err := chunk.Verify(root, uint64(wantChunks), 2); err != nil || len(chunk.Inputs) != 0 {
		t.Fatalf("the requester's chunk 2: %v, %d input chunks", err, len(chunk.Inputs))
	}
	assertChunkAccess(t, c, n.SparePort(1), id, chunk, workload.EncodeFloats(m.Data.Data[16*3:24*3]))

	// Payments, to the coin: the single valid bid clears at max_price, 5000.
	want := mlpPayouts(5000)
	want = map[string]int64{
		alice: want["alice"], carol: want["carol"], dave: want["dave"],
		prov: want["provider"], pool: want["pool"], bob: want["bob"],
	}
	names := map[string]string{alice: "alice", bob: "bob", carol: "carol", dave: "dave", prov: "provider", pool: "reward pool"}
	for _, a := range accounts {
		if got := c.restBalance(t, a).Int64() - before[a]; got != want[a] {
			t.Errorf("%s: balance changed by %d uaic, want %d", names[a], got, want[a])
		}
	}

	if b := modelBond(t, c, alice); b != "100000/0" {
		t.Fatalf("alice's model bond after the job settled: %s (bonded/locked), want 100000/0", b)
	}

	// The model registry records the use: one job over the dataset's 40 rows.
	var usage struct {
		ModelID string `json:"model_id"`
		Usage   struct {
			Jobs string `json:"jobs"`
			Rows string `json:"rows"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "modelregistry", "usage", "1", "--output", "json")), &usage); err != nil {
		t.Fatal(err)
	}
	if usage.Usage.Jobs != "1" || usage.Usage.Rows != "40" {
		t.Fatalf("model usage %+v, want 1 job over 40 rows", usage)
	}
}

// startMLPChain starts a one-validator chain of its own (in parallel with
// the other tests) with alice, bob, carol, dave and provider, on which every
// job is sampled on all of its 5 chunks.
func startMLPChain(t *testing.T) *Chain { return startMLPChainOf(t, 1) }

// startMLPChainOf is startMLPChain with n validators of equal power.
func startMLPChainOf(t *testing.T, n int) *Chain {
	t.Helper()
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, n, "alice", "bob", "carol", "dave", "provider")
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps": 10000, // every job is sampled
		"samples_per_job":       5,     // all 5 chunks
		"verification_blocks":   "20",
		"challenge_blocks":      "6",
	})
	c.Start()
	return c
}

// assertDefaultFees fails the test unless the fee parameters are the
// defaults that mlpPayouts assumes.
func assertDefaultFees(t *testing.T, c *Chain) {
	t.Helper()
	if got := paramBps(t, c, "/aichain/compute/v1/params", "protocol_fee_bps"); got != 500 {
		t.Fatalf("protocol_fee_bps %d, this test assumes 500", got)
	}
	if got := paramBps(t, c, "/aichain/modelregistry/v1/params", "platform_fee_bps"); got != 500 {
		t.Fatalf("platform_fee_bps %d, this test assumes 500", got)
	}
	if got := paramBps(t, c, "/aichain/datamarket/v1/params", "market_fee_bps"); got != 250 {
		t.Fatalf("market_fee_bps %d, this test assumes 250", got)
	}
	var res struct {
		Params struct {
			JobCreationFee struct{ Amount string } `json:"job_creation_fee"`
		} `json:"params"`
	}
	getJSON(t, c, "/aichain/compute/v1/params", &res)
	if res.Params.JobCreationFee.Amount != strconv.Itoa(localnetCreationFee) {
		t.Fatalf("job_creation_fee %s, this test assumes %d", res.Params.JobCreationFee.Amount, localnetCreationFee)
	}
}

// createMLPJob has bob create an mlp-f32 job on model 1 over dataset 1
// (chunks of 8 rows, max price 5000uaic, the model's and the dataset's fees
// as their caps; windows of 6 blocks: with 3, a provider agent started as
// the parallel phase began missed the commit window once) and returns its
// id; extra flags override the defaults.
func (c *Chain) createMLPJob(t *testing.T, extra ...string) string {
	t.Helper()
	args := append([]string{"compute", "create-job", `{"kind":"mlp-f32","mlp":{"model_id":1,"dataset_id":1},"chunk_rows":8}`, "5000uaic",
		"--commit-blocks", "6", "--reveal-blocks", "6", "--exec-blocks", "40", "--from", "bob",
		"--max-model-fee", "1002uaic", "--max-dataset-fee", "700uaic"}, extra...)
	return jobIDOf(t, c.Tx(args...))
}

// jobIDOf returns the job id a successful create-job tx emitted.
func jobIDOf(t *testing.T, res TxResult) string {
	t.Helper()
	okTx(t, "create-job", res)
	for _, ev := range res.Events {
		for _, a := range ev.Attributes {
			if a.Key == "job_id" {
				return trimQuotes(a.Value)
			}
		}
	}
	t.Fatalf("create-job emitted no job_id: %+v", res.Events)
	return ""
}

// mlpMarket is the model and the dataset that listMLPMarket put on the market.
type mlpMarket struct {
	Model *workload.Model
	Data  *workload.Matrix
	// StopDataserver stops the dataset's server.
	StopDataserver func()
	// DataURL is the dataset server's URL; DataDir the folder it serves.
	DataURL, DataDir string
	// ModelDown, once set, makes the model's uri answer 404 (its owner took
	// the weights down); WeightsFetched counts the weights it served.
	ModelDown      *atomic.Bool
	WeightsFetched *atomic.Int32
}

// listMLPMarket has alice register mlpModel as model 1 (weights served over
// HTTP on loopback; 1000uaic per job + 50uaic per 1k rows; shares alice 70 /
// carol 30) and list a 40×3 dataset on a real dataset server as dataset 1
// (chunks of 6 rows, so an output chunk of 8 rows spans two or three dataset
// chunks; a PER_JOB offer of 700uaic; shares alice 60 / dave 40).
func listMLPMarket(t *testing.T, c *Chain) mlpMarket {
	t.Helper()
	alice, carol, dave := c.Addr("alice"), c.Addr("carol"), c.Addr("dave")
	model := mlpModel()
	weights, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	modelSum := sha256.Sum256(weights)
	modelSHA := hex.EncodeToString(modelSum[:])
	down, fetched := new(atomic.Bool), new(atomic.Int32)
	weightSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.NotFound(w, r)
			return
		}
		fetched.Add(1)
		_, _ = w.Write(weights)
	}))
	t.Cleanup(weightSrv.Close)
	commitModel(t, c, "e2e-mlp", modelSHA, "alice")
	res := c.Tx("modelregistry", "register-model", "e2e-mlp", "1.0.0", modelSHA, weightSrv.URL+"/e2e.safetensors",
		"3", "2", "MIT", "--hidden-dims", "5", "--fee-per-job", "1000uaic", "--fee-per-1k-rows", "50uaic",
		"--shares", alice+":70",
		"--shares", carol+":30", "--from", "alice")
	okTx(t, "register-model", res)
	// alice vouches for her weights: bob's jobs on them lock their dataset
	// fee of this bond (x/compute's model availability bond).
	okTx(t, "post-model-bond", c.Tx("compute", "post-model-bond", "100000uaic", "--from", "alice"))

	dataDir := t.TempDir()
	data := &workload.Matrix{Rows: 40, Cols: 3, Data: make([]float32, 120)}
	for i := range data.Data {
		data.Data[i] = float32(i%11)*0.3 - 1.2
	}
	npy, err := workload.EncodeNPY(data)
	if err != nil {
		t.Fatal(err)
	}
	npyPath := filepath.Join(dataDir, "rows.npy")
	if err := os.WriteFile(npyPath, npy, 0o644); err != nil {
		t.Fatal(err)
	}
	url, stop := startDataserverProc(t, c, dataDir, alice)
	commitDataset(t, c, npyPath, "8", "alice")
	res = c.Tx("datamarket", "list-dataset", npyPath, "e2e-rows", "--rows-per-chunk", "8", "--uri", url,
		"--offer", "per-job:700uaic", "--shares", alice+":60", "--shares", dave+":40", "--from", "alice")
	okTx(t, "list-dataset", res)
	return mlpMarket{Model: model, Data: data, StopDataserver: stop, DataURL: url, DataDir: dataDir, ModelDown: down, WeightsFetched: fetched}
}

// mlpPayouts is how a settled mlp job on listMLPMarket's model and dataset
// (40 rows) moves each party's balance when it clears at price (uaic), by
// role: "alice", "carol", "dave", "provider", "pool" (the reward pool) and
// "bob" (the requester).
//
// Protocol fee 5% of the price to the pool, the rest to the provider. Model
// fee 1000 + ceil(50×40/1000) = 1002: platform 5% = 50 to the pool, 952 split
// 70/30 = 666.4/285.6 → 666 + 1 remainder = 667 alice, 285 carol. Dataset
// fee 700: market 2.5% = 17 to the pool, 683 split 60/40 = 409.8/273.2 →
// 409 + 1 remainder = 410 alice, 273 dave. The requester pays price + 1002 +
// 700 and the job creation fee (to the pool), and gets the rest of its
// escrow back.
func mlpPayouts(price int64) map[string]int64 {
	fee := price * 500 / 10000
	return map[string]int64{
		"alice":    667 + 410,
		"carol":    285,
		"dave":     273,
		"provider": price - fee,
		"pool":     fee + 50 + 17 + localnetCreationFee,
		"bob":      -(price + 1002 + 700 + localnetCreationFee),
	}
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// assertChunkAccess: the requester (bob) reads the output chunk without the
// dataset's rows; carol (no part in the job) and an unsigned request read
// nothing — no byte of the output or of the licensed rows leaves the agent.
func assertChunkAccess(t *testing.T, c *Chain, port int, id string, requesters jobexec.ChunkResponse, rows []byte) {
	t.Helper()
	secrets := [][]byte{requesters.Data, rows}
	base, path := fmt.Sprintf("http://127.0.0.1:%d", port), fmt.Sprintf("/v1/jobs/%s/chunks/2", id)
	// node0 is a bonded validator's operator: the job is over, so it
	// verifies nothing and reads nothing (provider
	// TestAttackValidatorReadsRowsAndOutputsOfAJobOver).
	for who, s := range map[string]signedreq.Signer{"node0": c.Signer(t, "node0"), "carol": c.Signer(t, "carol"), "unsigned": nil} {
		status, body := SignedGet(t, s, base, path)
		if status == http.StatusOK {
			t.Fatalf("%s read a chunk of a job over", who)
		}
		for _, sec := range secrets {
			if bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(sec))) || bytes.Contains(body, sec) {
				t.Fatalf("%s: protected bytes left the agent", who)
			}
		}
	}
}

// modelBond reads owner's model availability bond over REST and through the
// CLI (gRPC), which must agree, as "bonded/locked" in uaic.
func modelBond(t *testing.T, c *Chain, owner string) string {
	t.Helper()
	type bond struct {
		Bond struct {
			Bonded []struct{ Denom, Amount string } `json:"bonded"`
			Locked []struct{ Denom, Amount string } `json:"locked"`
		} `json:"bond"`
	}
	amount := func(cs []struct{ Denom, Amount string }) string {
		for _, c := range cs {
			if c.Denom == "uaic" {
				return c.Amount
			}
		}
		return "0"
	}
	var rest, cli bond
	getJSON(t, c, "/aichain/compute/v1/model_bonds/"+owner, &rest)
	if err := json.Unmarshal([]byte(c.CLI("q", "compute", "model-bond", owner, "--output", "json")), &cli); err != nil {
		t.Fatal(err)
	}
	r := amount(rest.Bond.Bonded) + "/" + amount(rest.Bond.Locked)
	if g := amount(cli.Bond.Bonded) + "/" + amount(cli.Bond.Locked); g != r {
		t.Fatalf("model bond of %s: REST says %s, the CLI %s", owner, r, g)
	}
	return r
}
