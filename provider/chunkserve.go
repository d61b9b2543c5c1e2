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
	"sync"
	"time"

	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/internal/slots"
	"github.com/aichain/aichain/jobexec"
)

// Chunk responses. A chunk is up to --max-chunk-bytes (16 MiB), and a
// requester (or a validator) may ask for many at once and read the answers
// slowly. Reading each chunk into memory and encoding the whole JSON
// (base64) before the first byte left pinned two copies per request for as
// long as the reader took, and nothing bounded the requests: the memory
// held grew with them until the agent ran out of it. Now the chunk is
// streamed from its file through a base64 encoder, and at most
// maxChunkTransfers responses are under way at once (requesters' at most
// half of them, so that the validators' checks always find room),
// maxChunkTransfersPerSigner for one signer
// (TestAttackChunkRequestsHoldWholeCopies); beyond, 503 with Retry-After.
//
// A transfer had no minimum read rate, only the server's 60 s
// WriteTimeout, and a freed slot went to whichever asked first: eight
// requesters of cheap jobs reading their chunks slowly, and asking again
// whenever the timeout cut them, held all 16 of the requesters' slots for
// as long as their chunks were kept (--retention, 24 h), and every other
// requester's download was answered busy
// (TestAttackSlowRequestersHoldEveryResultDownloadSlot). Now (chunkSlots):
//   - every chunk transfer keeps chunkPace, counted per signer across its
//     transfers (dataserver.PaceBook, as the weights route keeps
//     jobexec.WeightsPace): a reader that falls behind it is dropped and
//     its slot freed, so a slot held costs its bandwidth at that rate at the
//     least, and a transfer lasts Grace + its bytes / Rate at the most;
//   - a requester that finds its slots taken waits up to chunkHold in the
//     agent for its turn (slots.Queue), then is answered busy with a
//     Retry-After of chunkBusyRetry and keeps its place while it asks again;
//     a freed slot goes to the requester waiting that holds the fewest
//     (one behind the pace after every one that is not), then to the one
//     that queued first, so that requesters holding their slots and asking
//     for more back to back cannot take it from one that holds none
//     (TestPaceKeepingRequestersLeaveTheNextResultSlotToTheOneWaiting);
//   - a validator's sidecar reads a chunk within its 5 s FetchTimeout, far
//     above the pace, from the half of the slots requesters cannot take: it
//     is served or refused at once, as before.
//
// `aichaind q compute result` waits out the Retry-After of a busy answer
// without spending its attempts (cmd/aichaind/cmd/resultfile.go), as the
// validators' sidecars do (sidecar/busy.go).
const (
	maxChunkTransfers          = 32
	maxChunkTransfersPerSigner = 2
)

// chunkPace is the floor on a chunk transfer: a reader that took a full
// 16 MiB chunk (21.3 MiB of JSON) within the server's 60 s WriteTimeout at
// a steady rate took it at 364 KiB/s or more and keeps it; at the pace
// such a chunk lasts 95 s, and eight requesters holding all 16 requester
// slots at it spend 4 MiB/s. chunkStall is how long a reader may take
// nothing (the dataserver's stall rule), chunkHold how long a requester's
// request waits in the agent for its turn, well within the result
// command's 2 minutes for an answer.
var (
	chunkPace  = dataserver.Pace{Grace: 10 * time.Second, Rate: 256 << 10}
	chunkStall = 30 * time.Second
	chunkHold  = 5 * time.Second
)

const (
	// chunkBusyRetry is the Retry-After of a busy answer: the requester is
	// served only while it asks, and keeps its claim to a freed slot for
	// chunkQueueClaim, the time it takes to ask again.
	chunkBusyRetry  = time.Second
	chunkQueueClaim = 2 * time.Second
	// chunkQueueKeep is how long a requester answered busy keeps its place.
	chunkQueueKeep = 20 * time.Second
	// chunkQueueKeys bounds the requesters queued at once; past it a new
	// one is answered busy at once.
	chunkQueueKeys = 1024
	// chunkPaceMemory is how long a signer's pace account is kept after
	// its last transfer.
	chunkPaceMemory = 10 * time.Minute
	// chunkPaceFile is the one name the pace book keeps a signer's chunk
	// transfers under: its rank in the queue is how many it holds, not
	// where it is in a file.
	chunkPaceFile = "chunks"
)

// chunkTransfersFor is the bound in all on the responses under way when a
// validator (true) or a requester asks for one.
func chunkTransfersFor(validator bool) int {
	if validator {
		return maxChunkTransfers
	}
	return maxChunkTransfers / 2
}

// chunkSlots are the agent's chunk transfers (made on first use): all of
// them counted in all and per signer, the requesters' handed out in turn,
// each kept at the pace.
type chunkSlots struct {
	once       sync.Once
	all        slots.Counter
	requesters *slots.Queue
	book       *dataserver.PaceBook
}

func (c *chunkSlots) init() {
	c.once.Do(func() {
		c.requesters = &slots.Queue{Limit: chunkTransfersFor(false), PerKey: maxChunkTransfersPerSigner,
			MaxKeys: chunkQueueKeys, Keep: chunkQueueKeep, Claim: chunkQueueClaim}
		c.book = &dataserver.PaceBook{Pace: chunkPace, Memory: chunkPaceMemory, MaxCredit: chunkPace.Grace}
	})
}

// chunkBusy is a chunk request that got no transfer slot: behind (429)
// when the signer's transfers fell behind the pace with another under way,
// busy (503) otherwise; ask again after retry.
type chunkBusy struct {
	behind bool
	retry  time.Duration
}

// take takes a transfer slot for signer who, as a validator of the job or
// its requester (waiting its turn up to chunkHold, or until r's context
// ends). The caller releases a slot taken.
func (c *chunkSlots) take(r *http.Request, who string, validator bool) (*chunkSlot, *chunkBusy) {
	c.init()
	rank, wait, err := c.book.Rank(who, chunkPaceFile, 0)
	if err != nil { // dataserver.ErrBehindPace, its only error
		return nil, &chunkBusy{behind: true, retry: max(wait, chunkBusyRetry)}
	}
	busy := &chunkBusy{retry: chunkBusyRetry}
	if validator {
		if !c.all.TryTake(who, chunkTransfersFor(true), maxChunkTransfersPerSigner) {
			return nil, busy
		}
		return &chunkSlot{c: c, who: who, validator: true}, nil
	}
	rank = slots.Rank{Behind: rank.Behind}
	taken, ok := c.requesters.TakeAt(r.Context(), who, "", rank, chunkHold)
	if !ok {
		return nil, busy
	}
	if !c.all.TryTake(who, maxChunkTransfers, maxChunkTransfersPerSigner) {
		c.requesters.Yield(who, "", rank) // the validators hold the rest: its place kept
		return nil, busy
	}
	return &chunkSlot{c: c, who: who, taken: taken}, nil
}

// chunkSlot is a transfer slot a signer took.
type chunkSlot struct {
	c         *chunkSlots
	who       string
	validator bool
	taken     time.Time // when a requester's slot was taken, in the queue's order
	done      func() bool
}

// guard returns w kept at the signer's pace (dataserver.PaceBook.Guard):
// the transfer is dropped once the reader falls behind it or takes nothing
// for chunkStall.
func (s *chunkSlot) guard(w http.ResponseWriter) http.ResponseWriter {
	w, s.done = s.c.book.Guard(w, s.taken, chunkStall, s.who, chunkPaceFile, 0, 0)
	return w
}

// release books the transfer in the signer's pace account and frees the
// slot, handing it to the requester whose turn is next.
func (s *chunkSlot) release() {
	if s.done != nil {
		s.done()
	}
	s.c.all.Release(s.who)
	if !s.validator {
		s.c.requesters.Release(s.who, "")
	}
}

// chunkDataField is the JSON name of a chunk's bytes (merkle.Chunk.Data).
const chunkDataField = "data"

// writeChunk serves chunk i with its proof and, for a validator, the input
// rows its kind serves with it: everything but the chunk's bytes is encoded
// first, then the bytes are streamed from the job's file.
func (a *Agent) writeChunk(w http.ResponseWriter, r *http.Request, id, i uint64, job servedJob, withInputs bool) {
	tree, err := a.chunks.Tree(id, job.count, job.chunkBytes, job.root)
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
	if err := checkChunk(data, i, tree); err != nil {
		// The proof would verify for the leaf, not for these bytes: every
		// sampling validator and the requester would be sent a chunk they
		// must refuse, and the operator would never know.
		a.metrics.ChunksDamaged.Inc()
		a.log.Error("chunk damaged on disk: not served", "job", id, "chunk", i, "err", err)
		httpError(w, http.StatusInternalServerError, "internal", "the chunk is damaged on this provider's disk")
		return
	}
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
