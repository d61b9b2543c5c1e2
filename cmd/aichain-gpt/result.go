package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// maxResponse bounds one chunk response: a chunk is at most the chain's
// max_chunk_bytes (at most 64 MiB), base64 in JSON.
const maxResponse = 64<<20*4/3 + 64<<10

// result is a gpt-f32 job's verified output: its rows (maxNew ids, then
// vocab logits) and each row's prompt.
type result struct {
	id            uint64
	maxNew, vocab int
	rows          [][]float32
	prompts       [][]int32
}

// chainQueries are the node's query services the tool reads.
type chainQueries struct {
	compute  computetypes.QueryClient
	models   modelregistrytypes.QueryClient
	datasets datamarkettypes.QueryClient
}

// fetchOpts are where the tool reads a result: the node, the requester's key
// that signs the chunk requests (the provider serves a job's chunks to its
// requester and to bonded validators only), and optionally the prompt
// dataset's file.
type fetchOpts struct {
	node, home, keyringBackend, from string
	// promptsFile is the prompt dataset's npy-i32 file, for a dataset job
	// whose provider does not serve the prompt rows to the requester (it
	// serves them to validators only); it is checked against the dataset's
	// on-chain record. Empty: such prompts are shown by their row number.
	promptsFile string
}

func fetchResult(ctx context.Context, o fetchOpts, id uint64) (*result, error) {
	client, err := chainclient.New(chainclient.Config{GRPCAddr: o.node, KeyringDir: o.home, KeyringBackend: o.keyringBackend, From: o.from})
	if err != nil {
		return nil, err
	}
	defer client.Close()
	signer, err := signedreq.KeyringSigner(client.Keyring(), client.KeyName(), "aic")
	if err != nil {
		return nil, err
	}
	conn := client.Conn
	q := chainQueries{computetypes.NewQueryClient(conn), modelregistrytypes.NewQueryClient(conn), datamarkettypes.NewQueryClient(conn)}
	jr, err := q.compute.Job(ctx, &computetypes.QueryJobRequest{JobId: id})
	if err != nil {
		return nil, fmt.Errorf("job %d: %w", id, err)
	}
	job := jr.Job
	g := job.Workload.Gpt
	if job.Workload.Kind != workload.KindGPT || g == nil {
		return nil, fmt.Errorf("job %d is a %s job, not %s", id, job.Workload.Kind, workload.KindGPT)
	}
	if len(job.Result.OutputRoot) == 0 {
		return nil, fmt.Errorf("job %d has no result yet (state %s)", id, job.State)
	}
	pr, err := q.compute.Provider(ctx, &computetypes.QueryProviderRequest{Address: job.Winner})
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", job.Winner, err)
	}
	mr, err := q.models.Model(ctx, &modelregistrytypes.QueryModelRequest{Id: g.ModelId})
	if err != nil || mr.Model.Gpt == nil {
		return nil, fmt.Errorf("model %d: not a gpt-f32 model (%v)", g.ModelId, err)
	}
	res := &result{id: id, maxNew: int(g.MaxNewTokens), vocab: int(mr.Model.Gpt.Vocab)}
	prompts, err := res.promptReader(ctx, q, job, o.promptsFile)
	if err != nil {
		return nil, err
	}
	for i := uint64(0); i < job.Result.ChunkCount; i++ {
		resp, err := fetchChunk(ctx, signer, pr.Provider.Endpoint, id, i)
		if err != nil {
			return nil, err
		}
		if err := res.add(job, resp, prompts); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// add checks a served chunk against the job's on-chain root and appends its
// rows and their prompts.
func (res *result) add(job computetypes.Job, resp jobexec.ChunkResponse, prompts func(jobexec.ChunkResponse) (*workload.TokenMatrix, error)) error {
	i := resp.Index
	if err := resp.Verify(job.Result.OutputRoot, job.Result.ChunkCount, i); err != nil {
		return fmt.Errorf("chunk %d does not verify against the on-chain root: %w", i, err)
	}
	cols := res.maxNew + res.vocab
	v, n, err := workload.DecodeChunkRows(resp.Data, cols)
	if err != nil {
		return fmt.Errorf("chunk %d: %w", i, err)
	}
	p, err := prompts(resp)
	if err != nil {
		return fmt.Errorf("chunk %d prompts: %w", i, err)
	}
	for r := 0; r < n; r++ {
		res.rows = append(res.rows, v[r*cols:(r+1)*cols])
		if p != nil && r < p.Rows {
			res.prompts = append(res.prompts, p.Row(r))
		} else {
			res.prompts = append(res.prompts, nil)
		}
	}
	return nil
}

// promptReader returns how to read the prompts of a served chunk: from the
// spec (inline prompts); for a dataset job, from the served dataset rows
// (served to validators), checked against the dataset's on-chain content
// root, or else from promptsFile, checked whole against the same record; or
// none (nil rows).
func (res *result) promptReader(ctx context.Context, q chainQueries, job computetypes.Job, promptsFile string) (func(jobexec.ChunkResponse) (*workload.TokenMatrix, error), error) {
	g := job.Workload.Gpt
	chunkRows := job.Workload.ChunkRows
	slice := func(all *workload.TokenMatrix) func(jobexec.ChunkResponse) (*workload.TokenMatrix, error) {
		return func(resp jobexec.ChunkResponse) (*workload.TokenMatrix, error) {
			r0 := min(int(resp.Index*chunkRows), all.Rows)
			r1 := min(r0+int(chunkRows), all.Rows)
			return &workload.TokenMatrix{Rows: r1 - r0, Cols: all.Cols, Data: all.Data[r0*all.Cols : r1*all.Cols]}, nil
		}
	}
	if g.DatasetId == 0 {
		all, err := jobexec.InlinePrompts(g)
		if err != nil {
			return nil, err
		}
		return slice(all), nil
	}
	ds, err := jobexec.NewChainResolver(jobexec.ResolverConfig{Datasets: q.datasets}).DatasetRecord(ctx, g.DatasetId, job.DatasetVersion)
	if err != nil {
		return nil, err
	}
	var fromFile func(jobexec.ChunkResponse) (*workload.TokenMatrix, error)
	if promptsFile != "" {
		data, err := os.ReadFile(promptsFile)
		if err != nil {
			return nil, err
		}
		f, err := jobexec.CheckDataset(ds, data, workload.Limits{})
		if err != nil || f.Tokens == nil {
			return nil, fmt.Errorf("--prompts %s is not dataset %d version %d (npy-i32): %v", promptsFile, ds.Id, ds.Version, err)
		}
		fromFile = slice(f.Tokens)
	}
	return func(resp jobexec.ChunkResponse) (*workload.TokenMatrix, error) {
		if len(resp.Inputs) == 0 {
			if fromFile != nil {
				return fromFile(resp)
			}
			return nil, nil
		}
		raw, n, err := resp.VerifyInputBytes(ds.ContentRoot, ds.Rows, ds.Cols, ds.RowsPerChunk, chunkRows)
		if err != nil {
			return nil, err
		}
		return &workload.TokenMatrix{Rows: n, Cols: int(ds.Cols), Data: workload.DecodeInts(raw)}, nil
	}, nil
}

// fetchChunk fetches chunk i with a request signed by signer, bound to the
// provider's URL.
func fetchChunk(ctx context.Context, signer signedreq.Signer, endpoint string, id, i uint64) (jobexec.ChunkResponse, error) {
	var out jobexec.ChunkResponse
	base := strings.TrimRight(endpoint, "/")
	audience, err := signedreq.Audience(base)
	if err != nil {
		return out, err
	}
	url := fmt.Sprintf("%s/v1/jobs/%d/chunks/%d", base, id, i)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return out, err
	}
	if err := signedreq.Sign(req, signer, audience, time.Now()); err != nil {
		return out, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return out, fmt.Errorf("GET %s: HTTP %d: %s", url, res.StatusCode, strings.TrimSpace(string(body)))
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxResponse)).Decode(&out); err != nil {
		return out, fmt.Errorf("GET %s: %w", url, err)
	}
	return out, nil
}

// text renders token ids: with a byte-level vocabulary (256) the bytes,
// quoted; otherwise the ids.
func (res *result) text(ids []int32) string {
	if res.vocab != 256 {
		return fmt.Sprint(ids)
	}
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = byte(id)
	}
	return strconv.Quote(string(b))
}

func (res *result) print(out io.Writer) {
	fmt.Fprintf(out, "job %d: %d prompts, %d new tokens each (every chunk checked against the on-chain root)\n", res.id, len(res.rows), res.maxNew)
	for r, row := range res.rows {
		if res.prompts[r] == nil {
			fmt.Fprintf(out, "%3d  (prompt dataset row %d: --prompts FILE shows it) → %s\n", r, r, res.text(generated(row, res.maxNew)))
			continue
		}
		prompt, ok := workload.PromptTokens(res.prompts[r], res.vocab)
		if !ok || (res.maxNew > 0 && row[0] < 0) {
			fmt.Fprintf(out, "%3d  invalid prompt %v\n", r, res.prompts[r])
			continue
		}
		gen := generated(row, res.maxNew)
		logits := row[res.maxNew:]
		next := workload.Argmax(logits)
		fmt.Fprintf(out, "%3d  %s → %s  (next token %d, logit %.4g)\n", r, res.text(prompt), res.text(gen), next, logits[next])
	}
}

func (res *result) writeNPY(path string, out io.Writer) error {
	cols := res.maxNew + res.vocab
	m := &workload.Matrix{Rows: len(res.rows), Cols: cols, Data: make([]float32, 0, len(res.rows)*cols)}
	for _, row := range res.rows {
		m.Data = append(m.Data, row...)
	}
	data, err := workload.EncodeNPY(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: %d×%d float32 (ids, then logits)\n", path, m.Rows, m.Cols)
	return nil
}

// generated returns an output row's generated token ids.
func generated(row []float32, maxNew int) []int32 {
	gen := make([]int32, maxNew)
	for n := range gen {
		gen[n] = int32(row[n])
	}
	return gen
}
