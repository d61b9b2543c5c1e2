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

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// maxResponse bounds one chunk response (a gpt-f32 chunk is at most 8 MiB,
// base64 in JSON).
const maxResponse = 64 << 20

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

func fetchResult(ctx context.Context, node string, id uint64) (*result, error) {
	conn, err := grpc.NewClient(node, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
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
	prompts, err := res.promptReader(ctx, q, job)
	if err != nil {
		return nil, err
	}
	for i := uint64(0); i < job.Result.ChunkCount; i++ {
		resp, err := fetchChunk(ctx, pr.Provider.Endpoint, id, i)
		if err != nil {
			return nil, err
		}
		if err := resp.Verify(job.Result.OutputRoot, job.Result.ChunkCount, i); err != nil {
			return nil, fmt.Errorf("chunk %d does not verify against the on-chain root: %w", i, err)
		}
		v, n, err := workload.DecodeChunkRows(resp.Data, res.maxNew+res.vocab)
		if err != nil {
			return nil, fmt.Errorf("chunk %d: %w", i, err)
		}
		p, err := prompts(resp)
		if err != nil {
			return nil, fmt.Errorf("chunk %d prompts: %w", i, err)
		}
		cols := res.maxNew + res.vocab
		for r := 0; r < n; r++ {
			res.rows = append(res.rows, v[r*cols:(r+1)*cols])
			res.prompts = append(res.prompts, p.Row(r))
		}
	}
	return res, nil
}

// promptReader returns how to read the prompts of a served chunk: from the
// spec (inline prompts) or from the served dataset rows, checked against
// the dataset's on-chain content root.
func (res *result) promptReader(ctx context.Context, q chainQueries, job computetypes.Job) (func(jobexec.ChunkResponse) (*workload.TokenMatrix, error), error) {
	g := job.Workload.Gpt
	chunkRows := job.Workload.ChunkRows
	if g.DatasetId == 0 {
		all, err := jobexec.InlinePrompts(g)
		if err != nil {
			return nil, err
		}
		return func(resp jobexec.ChunkResponse) (*workload.TokenMatrix, error) {
			r0 := int(resp.Index * chunkRows)
			r1 := min(r0+int(chunkRows), all.Rows)
			return &workload.TokenMatrix{Rows: r1 - r0, Cols: all.Cols, Data: all.Data[r0*all.Cols : r1*all.Cols]}, nil
		}, nil
	}
	ds, err := jobexec.NewChainResolver(jobexec.ResolverConfig{Datasets: q.datasets}).DatasetRecord(ctx, g.DatasetId, job.DatasetVersion)
	if err != nil {
		return nil, err
	}
	return func(resp jobexec.ChunkResponse) (*workload.TokenMatrix, error) {
		raw, n, err := resp.VerifyInputBytes(ds.ContentRoot, ds.Rows, ds.Cols, ds.RowsPerChunk, chunkRows)
		if err != nil {
			return nil, err
		}
		return &workload.TokenMatrix{Rows: n, Cols: int(ds.Cols), Data: workload.DecodeInts(raw)}, nil
	}, nil
}

func fetchChunk(ctx context.Context, endpoint string, id, i uint64) (jobexec.ChunkResponse, error) {
	var out jobexec.ChunkResponse
	url := fmt.Sprintf("%s/v1/jobs/%d/chunks/%d", strings.TrimRight(endpoint, "/"), id, i)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
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
		prompt, ok := workload.PromptTokens(res.prompts[r], res.vocab)
		if !ok || (res.maxNew > 0 && row[0] < 0) {
			fmt.Fprintf(out, "%3d  invalid prompt %v\n", r, res.prompts[r])
			continue
		}
		gen := make([]int32, res.maxNew)
		for n := range gen {
			gen[n] = int32(row[n])
		}
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
