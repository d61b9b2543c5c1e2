package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"

	"github.com/aichain/aichain/workload"
)

// gptE2EConfig is the byte-level model of the test (aichain-gpt's example).
var gptE2EConfig = workload.GPTConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}

// gptE2EPrompts are the prompt dataset's rows, byte tokens.
var gptE2EPrompts = []string{"Hello, chain", "The quick brown fox", "1+1=", "aichain verifies", "GPU"}

// TestGPTFourValidators runs gpt-f32 on a four-validator network, each
// validator with its own verifier sidecar, with real provider agents and a
// real dataset server:
//
//   - honest: alice registers a byte-level gpt-f32 model (config validated
//     on chain) and lists a prompt dataset (npy-i32) with a PER_JOB offer;
//     bob creates a gpt job over it; the provider bids, wins, fetches the
//     prompts with its key, decodes and submits; every chunk is sampled and
//     every sidecar recomputes it from the served prompts, proven against the
//     dataset's content root; the job settles VALID with the root the
//     reference gives, and `aichain-gpt text` prints the verified text.
//   - cheat: a provider that changes one generated token of one prompt (the
//     second prompt of chunk 1) bids lower and wins a job with inline
//     prompts; chunk 1 is sampled, the sidecars find it INVALID, the job
//     fails for fraud and the cheat is slashed and jailed, while the honest
//     provider keeps its bond.
func TestGPTFourValidators(t *testing.T) {
	fourValidatorLane(t) // in parallel with the one-validator tests, one four-validator network at a time
	c := NewChain(t, 4, "alice", "bob", "prov1", "cheat")
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps": 10000, // every job is sampled
		"samples_per_job":       5,     // every chunk of these jobs (2 or 3)
		"verification_blocks":   "40",
		"challenge_blocks":      "6",
	})
	c.Start()
	dir := t.TempDir()
	sidecars := make([]*Process, len(c.Nodes))
	for i, n := range c.Nodes {
		sidecars[i] = StartSidecar(t, dir, fmt.Sprintf("sidecar%d", i), n)
	}
	nw := &network{c: c, dir: dir, sidecars: sidecars}
	model := registerGPTModel(t, c)
	prompts, promptsFile := listPromptDataset(t, c)
	nw.prov1 = c.StartProvider(t, dir, "prov1", c.Nodes[0].SparePort(1), "1000uaic")
	nw.prov1Bond = c.providerBond(t, c.Addr("prov1"))

	for _, phase := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"honest", func(t *testing.T) { gptHonest(t, nw, model, prompts, promptsFile) }},
		{"cheat", func(t *testing.T) { gptCheat(t, nw) }},
	} {
		if !t.Run(phase.name, phase.run) {
			return
		}
	}
}

// registerGPTModel has alice register aichain-gpt's example model (seed 7)
// as model 1, weights served over HTTP, 100uaic per job.
func registerGPTModel(t *testing.T, c *Chain) *workload.GPTModel {
	t.Helper()
	m, err := workload.RandomGPT(gptE2EConfig, 7)
	if err != nil {
		t.Fatal(err)
	}
	weights, err := workload.EncodeGPTSafetensors(m)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(weights) }))
	t.Cleanup(srv.Close)
	cfg, _ := json.Marshal(gptE2EConfig)
	// A config that does not fit the architecture is refused.
	out, stderr, err := c.CLIErr("tx", "modelregistry", "register-model", "bad-gpt", "1", workload.SHA256Hex(weights), srv.URL+"/m.safetensors",
		"256", "256", "MIT", "--architecture", "gpt-f32", "--gpt", `{"layers":2,"heads":5,"embed":64,"vocab":256,"context":128}`, "--from", "alice")
	if err == nil && !strings.Contains(out, "heads 5 must divide embed 64") || err != nil && !strings.Contains(stderr, "heads 5 must divide embed 64") {
		t.Fatalf("a config with 5 heads of a 64-wide embedding: %v\n%s%s", err, out, stderr)
	}
	commitModel(t, c, "tiny-gpt", workload.SHA256Hex(weights), "alice")
	okTx(t, "register-model", c.Tx("modelregistry", "register-model", "tiny-gpt", "1.0.0", workload.SHA256Hex(weights),
		srv.URL+"/tiny-gpt.safetensors", "256", "256", "MIT", "--architecture", "gpt-f32", "--gpt", string(cfg),
		"--fee-per-job", "100uaic", "--shares", c.Addr("alice")+":1", "--from", "alice"))
	okTx(t, "post-model-bond", c.Tx("compute", "post-model-bond", "100000uaic", "--from", "alice"))
	var mr struct {
		Model struct {
			Architecture string             `json:"architecture"`
			Gpt          workload.GPTConfig `json:"gpt"`
		} `json:"model"`
	}
	getJSON(t, c, "/aichain/modelregistry/v1/models/1", &mr)
	if mr.Model.Architecture != workload.KindGPT || mr.Model.Gpt != gptE2EConfig {
		t.Fatalf("model 1 on chain: %+v", mr.Model)
	}
	return m
}

// listPromptDataset writes gptE2EPrompts as an npy-i32 file and has alice
// list it as dataset 1 (rows_per_chunk 3) on a real dataset server that
// serves alice's datasets; it returns the prompts and the file.
func listPromptDataset(t *testing.T, c *Chain) (*workload.TokenMatrix, string) {
	t.Helper()
	dataDir := t.TempDir()
	path := filepath.Join(dataDir, "prompts.npy")
	out, err := exec.Command(filepath.Join(Binaries(t), "aichain-gpt"), append([]string{"prompts", path}, gptE2EPrompts...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("aichain-gpt prompts: %v\n%s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := workload.ParseNPYInt32(data, workload.SHA256Hex(data), workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	url := startDataserver(t, c, dataDir, c.Addr("alice"))
	commitDataset(t, c, path, "3", "alice")
	okTx(t, "list-dataset", c.Tx("datamarket", "list-dataset", path, "e2e-prompts", "--rows-per-chunk", "3", "--uri", url,
		"--offer", "per-job:500uaic", "--from", "alice"))
	var ds struct {
		Dataset struct {
			Format string `json:"format"`
		} `json:"dataset"`
	}
	getJSON(t, c, "/aichain/datamarket/v1/datasets/1", &ds)
	if ds.Dataset.Format != "npy-i32" {
		t.Fatalf("dataset format %q, want npy-i32", ds.Dataset.Format)
	}
	return p, path
}

// createGPTJob has bob create a gpt-f32 job with spec's gpt sub-message and
// chunk_rows 2, the model's and the dataset's fees as their caps (it pays
// the job_creation_fee besides).
func (nw *network) createGPTJob(t *testing.T, gpt string) string {
	t.Helper()
	spec := fmt.Sprintf(`{"kind":"gpt-f32","gpt":%s,"chunk_rows":2}`, gpt)
	return jobIDOf(t, nw.c.Tx("compute", "create-job", spec, "5000uaic", "--commit-blocks", "6", "--reveal-blocks", "6",
		"--exec-blocks", "60", "--max-model-fee", "100uaic", "--max-dataset-fee", "500uaic", "--from", "bob"))
}

func gptHonest(t *testing.T, nw *network, model *workload.GPTModel, prompts *workload.TokenMatrix, promptsFile string) {
	c := nw.c
	bob := c.Addr("bob")
	bobStart := c.restBalance(t, bob)
	id := nw.createGPTJob(t, `{"model_id":1,"dataset_id":1,"max_new_tokens":12}`)
	var created struct {
		Job struct {
			Rows    string `json:"rows"`
			MulAdds string `json:"mul_adds"`
		} `json:"job"`
	}
	getJSON(t, c, "/aichain/compute/v1/jobs/"+id, &created)
	// The chain's charge (workload.GPTConfig.Work): the prompts at the
	// dataset's width, in chunks of the job's chunk_rows 2, every one of the
	// 3 chunks charged as the costliest (x/compute/types gptShape), which
	// is more than the job's own work (its last chunk holds one prompt).
	w := gptE2EConfig.Work(len(gptE2EPrompts), prompts.Cols, nil, 12, 2)
	wantWork := max(w.Job, 3*w.Chunk)
	if created.Job.Rows != "5" || created.Job.MulAdds != strconv.FormatUint(wantWork, 10) {
		t.Fatalf("job %s: rows %s, mul_adds %s, want 5 and %d", id, created.Job.Rows, created.Job.MulAdds, wantWork)
	}
	j := c.waitJobState(t, id, 240*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" || j.Winner != c.Addr("prov1") {
		t.Fatalf("gpt job %s ended %s / %s (winner %s), want SETTLED by verification\nprov1:\n%s",
			id, j.State, j.CloseReason, j.Winner, nw.prov1.LogTail(30))
	}
	if len(j.Sample.Indices) != 3 {
		t.Fatalf("sampled chunks %v, want all 3", j.Sample.Indices)
	}
	nw.assertVerifiedByAll(t, id, 3)
	// Bob paid the clearing price (the single bid clears at max_price), the
	// model's 100 and the dataset's 500 per job, and the creation fee.
	if got := bobStart.Sub(c.restBalance(t, bob)); !got.Equal(math.NewInt(5_000 + 100 + 500 + localnetCreationFee)) {
		t.Fatalf("bob paid %s, want 5000 + 100 + 500 + the %d creation fee", got, localnetCreationFee)
	}
	// The committed output is the reference's, bit for bit.
	gj, err := workload.NewGPTJob(model, prompts, 12, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantRoot, wantChunks, err := workload.OutputRoot(t.Context(), gj, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	root, err := base64.StdEncoding.DecodeString(j.Result.OutputRoot)
	if err != nil || string(root) != string(wantRoot[:]) || j.Result.ChunkCount != strconv.Itoa(wantChunks) {
		t.Fatalf("output root %x / %s chunks, want %x / %d (%v)", root, j.Result.ChunkCount, wantRoot, wantChunks, err)
	}
	// aichain-gpt fetches the chunks as the requester (the provider serves
	// them to bob, the prompt rows only to validators), checks them against
	// the root and prints the text with the prompts of the dataset's file,
	// checked against the chain.
	out, err := exec.Command(filepath.Join(Binaries(t), "aichain-gpt"), "text", id, "--node", c.Nodes[0].GRPCAddr(),
		"--from", "bob", "--home", c.Home(), "--keyring-backend", "test", "--prompts", promptsFile).CombinedOutput()
	if err != nil {
		t.Fatalf("aichain-gpt text: %v\n%s", err, out)
	}
	for _, p := range gptE2EPrompts {
		if !strings.Contains(string(out), strconv.Quote(p)+" → ") {
			t.Fatalf("aichain-gpt text does not show prompt %q:\n%s", p, out)
		}
	}
	t.Logf("aichain-gpt text %s:\n%s", id, out)
}

func gptCheat(t *testing.T, nw *network) {
	c := nw.c
	cheatAddr := c.Addr("cheat")
	cheat := c.StartProvider(t, nw.dir, "cheat", c.Nodes[0].SparePort(3), "900uaic", "--fault-change-token", "1:1")
	cheatBond := c.providerBond(t, cheatAddr)
	id := nw.createGPTJob(t, `{"model_id":1,"prompts":[{"tokens":[72,105]},{"tokens":[97,98,99]},{"tokens":[10]},{"tokens":[33,33,33,33]}],"max_new_tokens":8}`)
	j := c.waitJobState(t, id, 240*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.Winner != cheatAddr || j.State != "JOB_STATE_FAILED" || j.CloseReason != "CLOSE_REASON_FRAUD" {
		t.Fatalf("the cheat's job %s ended %s / %s (winner %s), want FAILED by fraud\ncheat:\n%s",
			id, j.State, j.CloseReason, j.Winner, cheat.LogTail(20))
	}
	if !strings.Contains(logText(cheat), "changed a generated token") {
		t.Fatalf("the cheat never changed a token:\n%s", cheat.LogTail(20))
	}
	nw.assertVerdicts(t, id, "VERDICT_INVALID", 2)
	if after := c.providerBond(t, cheatAddr); after >= cheatBond {
		t.Fatalf("cheat's bond %d after fraud, was %d: not slashed", after, cheatBond)
	}
	if st := providerStatus(t, c, cheatAddr); st != "PROVIDER_STATUS_JAILED" {
		t.Fatalf("cheat's status %s after fraud, want jailed", st)
	}
	if got := c.providerBond(t, c.Addr("prov1")); got != nw.prov1Bond {
		t.Fatalf("prov1's bond %d, was %d: an honest provider was slashed", got, nw.prov1Bond)
	}
}
