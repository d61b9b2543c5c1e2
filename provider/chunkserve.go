package provider

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/aichain/aichain/jobexec"
)

// Chunk responses. A chunk is up to --max-chunk-bytes (16 MiB), and a
// requester (or a validator) may ask for many at once and read the answers
// slowly, up to the server's write timeout. Reading each chunk into memory
// and encoding the whole JSON (base64) before the first byte left pinned two
// copies per request for as long as the reader took, and nothing bounded
// the requests: the memory held grew with them until the agent ran out of
// it. Now the chunk is streamed from its file through a base64 encoder, and
// at most maxChunkTransfers responses are under way at once (requesters'
// at most half of them, so that the validators' checks always find room),
// maxChunkTransfersPerSigner for one signer; beyond, 503 with Retry-After,
// which the validators' sidecars and `aichaind q compute result` honour by
// asking again (TestAttackChunkRequestsHoldWholeCopies).
const (
	maxChunkTransfers          = 32
	maxChunkTransfersPerSigner = 2
	chunkRetryAfterSeconds     = 5
)

// chunkTransfersFor is the bound in all on the responses under way when a
// validator (true) or a requester asks for one.
func chunkTransfersFor(validator bool) int {
	if validator {
		return maxChunkTransfers
	}
	return maxChunkTransfers / 2
}

// chunkDataField is the JSON name of a chunk's bytes (merkle.Chunk.Data).
const chunkDataField = "data"

// writeChunk serves chunk i with its proof and, for a validator, the input
// rows its kind serves with it: everything but the chunk's bytes is encoded
// first, then the bytes are streamed from the job's file.
func (a *Agent) writeChunk(w http.ResponseWriter, r *http.Request, id, i uint64, job servedJob, withInputs bool) {
	tree, err := a.chunks.Tree(id, job.count, job.chunkBytes)
	if err != nil {
		a.log.Error("load tree", "job", id, "err", err)
		httpError(w, http.StatusInternalServerError, "internal", "cannot load the job's chunks")
		return
	}
	f, data, err := a.chunks.Section(id, i, job.count, job.chunkBytes)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "internal", "cannot read the chunk")
		return
	}
	defer f.Close()
	var src jobexec.InputSource
	if withInputs && a.cfg.MLP != nil {
		src = a.cfg.MLP
	}
	served := job.served
	if !withInputs {
		served.DatasetID = 0 // the requester gets the output alone
	}
	resp, err := jobexec.ServeChunk(r.Context(), id, served, tree, int(i), nil, src)
	if err != nil {
		a.serveError(w, id, err)
		return
	}
	tail, err := chunkTail(resp)
	if err != nil {
		a.log.Error("encode chunk response", "job", id, "err", err)
		httpError(w, http.StatusInternalServerError, "internal", "cannot encode the chunk")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := streamChunk(w, data, tail); err != nil {
		a.log.Warn("chunk response cut short", "job", id, "chunk", i, "err", err)
		return
	}
	a.metrics.ChunksServed.Inc()
}

// serveError answers a failure of jobexec.ServeChunk.
func (a *Agent) serveError(w http.ResponseWriter, id uint64, err error) {
	var se *jobexec.ServeError
	if !errors.As(err, &se) {
		httpError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	if se.Status == http.StatusServiceUnavailable {
		// The inputs load again (the dataset's server was busy or
		// slow): a validator asks again when told (sidecar busy.go).
		w.Header().Set("Retry-After", "5")
	}
	httpError(w, se.Status, "unavailable", se.Message)
	if se.Err != nil {
		a.log.Error("load the chunk's inputs", "job", id, "err", se.Err)
	}
}

// chunkTail encodes resp's fields but its chunk's bytes: the JSON that
// follows them, from the closing quote of the data string to the end of
// the object.
func chunkTail(resp jobexec.ChunkResponse) ([]byte, error) {
	resp.Data = nil
	body, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	if _, ok := fields[chunkDataField]; !ok {
		return nil, fmt.Errorf("a chunk response has no %q field", chunkDataField)
	}
	delete(fields, chunkDataField)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tail bytes.Buffer
	tail.WriteByte('"')
	for _, k := range keys {
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		tail.WriteByte(',')
		tail.Write(name)
		tail.WriteByte(':')
		tail.Write(fields[k])
	}
	tail.WriteString("}\n")
	return tail.Bytes(), nil
}

// streamChunk writes the response: the data field first, its bytes
// base64-encoded as they are read, then tail.
func streamChunk(w io.Writer, data io.Reader, tail []byte) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(`{"` + chunkDataField + `":"`); err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, bw)
	if _, err := io.Copy(enc, data); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if _, err := bw.Write(tail); err != nil {
		return err
	}
	return bw.Flush()
}
