package cmd

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload/merkle"
)

// partState is what OUTPUT.part.json remembers of an interrupted download.
type partState struct {
	JobID uint64 `json:"job_id"`
	Root  string `json:"output_root"`
	Cols  uint64 `json:"cols"`
	Done  uint64 `json:"chunks_done"`
}

// npyHeader is the .npy (format 1.0) header of a rows×cols float32 matrix,
// padded to 64 bytes as numpy writes it.
func npyHeader(rows, cols uint64) []byte {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	pad := (64 - (10+len(dict)+1)%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(out[8:], uint16(len(hdr)))
	return append(out, hdr...)
}

// chunkRows is the number of rows of output chunk i.
func (d *resultDownload) chunkRows(i uint64) uint64 {
	cr, rows := d.job.Workload.ChunkRows, d.job.Rows
	return min(cr, rows-i*cr)
}

// download fetches every chunk not yet in OUTPUT.part, checks each against
// the on-chain root, then the whole file, and renames it to OUTPUT.
func (d *resultDownload) download(ctx context.Context) (int64, error) {
	part, meta := d.out+".part", d.out+".part.json"
	st := d.loadPart(meta)
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if st.Done > 0 {
		fmt.Fprintf(d.progress, "resuming job %d at chunk %d of %d\n", d.job.Id, st.Done, d.job.Result.ChunkCount)
	}
	if err := d.fetchAll(ctx, f, meta, &st); err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%w: %d of %d chunks kept in %s; the same command resumes it: %w",
				ErrInterrupted, st.Done, d.job.Result.ChunkCount, part, err)
		}
		return 0, err
	}
	size, err := d.checkWhole(f, st.Cols)
	if err != nil {
		return 0, errors.Join(err, os.Remove(part), os.Remove(meta))
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(part, d.out); err != nil {
		return 0, err
	}
	return size, os.Remove(meta)
}

// loadPart reads the state of an interrupted download of the same job and
// root, or starts afresh.
func (d *resultDownload) loadPart(meta string) partState {
	fresh := partState{JobID: d.job.Id, Root: hex.EncodeToString(d.job.Result.OutputRoot)}
	b, err := os.ReadFile(meta)
	if err != nil {
		return fresh
	}
	var st partState
	if json.Unmarshal(b, &st) != nil || st.JobID != fresh.JobID || st.Root != fresh.Root || st.Done > d.job.Result.ChunkCount {
		return fresh
	}
	return st
}

func (d *resultDownload) savePart(f *os.File, meta string, st partState) error {
	if err := f.Sync(); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	// Written aside and renamed: a process killed while writing leaves
	// the last state, not a torn one that would start afresh.
	if err := os.WriteFile(meta+".tmp", b, 0o644); err != nil {
		return err
	}
	return os.Rename(meta+".tmp", meta)
}

// fetchAll writes chunks st.Done.. into f, saving progress every second.
func (d *resultDownload) fetchAll(ctx context.Context, f *os.File, meta string, st *partState) error {
	count := d.job.Result.ChunkCount
	start, last := time.Now(), time.Now()
	var hdr int64
	for i := st.Done; i < count; i++ {
		data, err := d.fetchChunk(ctx, i)
		if err != nil {
			return errors.Join(err, d.savePart(f, meta, *st))
		}
		if i == 0 || st.Cols == 0 {
			if st.Cols, err = d.colsOf(data); err != nil {
				return err
			}
		}
		hdr = int64(len(npyHeader(d.job.Rows, st.Cols)))
		if want := d.chunkRows(i) * st.Cols * 4; uint64(len(data)) != want {
			return fmt.Errorf("%w: chunk %d has %d bytes, want %d", ErrBadChunk, i, len(data), want)
		}
		if i == 0 {
			if _, err := f.WriteAt(npyHeader(d.job.Rows, st.Cols), 0); err != nil {
				return err
			}
		}
		if _, err := f.WriteAt(data, hdr+int64(i*d.job.Workload.ChunkRows*st.Cols*4)); err != nil {
			return err
		}
		st.Done = i + 1
		if time.Since(last) > time.Second || st.Done == count {
			last = time.Now()
			fmt.Fprintf(d.progress, "job %d: %d/%d chunks (%.0f%%), %s\n", d.job.Id, st.Done, count,
				100*float64(st.Done)/float64(count), time.Since(start).Round(time.Second))
			if err := d.savePart(f, meta, *st); err != nil {
				return err
			}
		}
	}
	return nil
}

// colsOf derives the output's columns from chunk 0.
func (d *resultDownload) colsOf(chunk0 []byte) (uint64, error) {
	rows := d.chunkRows(0)
	if rows == 0 || len(chunk0) == 0 || uint64(len(chunk0))%(rows*4) != 0 {
		return 0, fmt.Errorf("%w: chunk 0 has %d bytes for %d rows", ErrBadChunk, len(chunk0), rows)
	}
	return uint64(len(chunk0)) / (rows * 4), nil
}

// ErrProviderBusy is a chunk the provider answered busy for longer than
// the download's patience (chunkRetry.patience); what was downloaded is
// kept, and the command resumes from it.
var ErrProviderBusy = errors.New("the provider stayed busy")

// chunkRetry is how a chunk is asked for again. A failed attempt (the
// network, a server error) is retried after pause, attempts times in all.
// A busy answer (503 or 429, dataserver.BusyError) spends no attempt: the
// provider is up and hands its transfer slots to the requesters that wait,
// in turn, each keeping its place while it asks again when its
// Retry-After says (provider/chunkserve.go). Each wait is at least pause,
// at most maxBusyWait, and ends with the command's context (Ctrl-C); a
// chunk answered busy for patience fails the download, resumable. Three
// attempts 1 s apart, busy answers among them, gave up on a provider
// whose slots slow requesters held, and its requester lost the result it
// paid for (TestAttackSlowRequestersHoldEveryResultDownloadSlot).
type chunkRetryPolicy struct {
	attempts                     int
	pause, maxBusyWait, patience time.Duration
}

var chunkRetry = chunkRetryPolicy{attempts: 3, pause: time.Second, maxBusyWait: time.Minute, patience: 30 * time.Minute}

// fetchChunk fetches chunk i with a signed request and checks its proof,
// asking again as chunkRetry says.
func (d *resultDownload) fetchChunk(ctx context.Context, i uint64) ([]byte, error) {
	p := chunkRetry
	var lastErr error
	var busySince time.Time
	for attempt := 0; attempt < p.attempts; {
		resp, err := d.get(ctx, i)
		if err == nil {
			if err = resp.Verify(d.job.Result.OutputRoot, d.job.Result.ChunkCount, i); err == nil {
				return resp.Data, nil
			}
			return nil, fmt.Errorf("%w: chunk %d: %v", ErrBadChunk, i, err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		wait := p.pause
		var busy *dataserver.BusyError
		switch {
		case errors.As(err, &busy):
			if busySince.IsZero() {
				busySince = time.Now()
				fmt.Fprintf(d.progress, "job %d: the provider is busy sending chunks; waiting for its turn (chunk %d)\n", d.job.Id, i)
			} else if waited := time.Since(busySince); waited >= p.patience {
				return nil, fmt.Errorf("%w: chunk %d answered busy for %s: %w", ErrProviderBusy, i, waited.Round(time.Second), err)
			}
			wait = min(max(busy.RetryAfter, p.pause), p.maxBusyWait)
		case errors.Is(err, ErrProviderSaid) || errors.Is(err, ErrBadChunk):
			return nil, err
		default:
			lastErr = err
			if attempt++; attempt == p.attempts {
				return nil, lastErr
			}
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, err
		}
	}
	return nil, lastErr
}

// sleepCtx waits d, or until ctx ends (its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (d *resultDownload) get(ctx context.Context, i uint64) (jobexec.ChunkResponse, error) {
	var out jobexec.ChunkResponse
	url := fmt.Sprintf("%s/v1/jobs/%d/chunks/%d", d.endpoint, d.job.Id, i)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return out, err
	}
	if err := signedreq.Sign(req, d.signer, d.audience, time.Now()); err != nil {
		return out, err
	}
	res, err := d.http.Do(req)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, rerr := io.ReadAll(io.LimitReader(res.Body, 4096))
		err := fmt.Errorf("HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(body)))
		if res.StatusCode < 500 {
			err = fmt.Errorf("%w: %w", ErrProviderSaid, err)
		}
		// 503 and 429 are busy answers, matched before ErrProviderSaid.
		return out, errors.Join(dataserver.WrapBusy(res, err, time.Now()), rerr)
	}
	limit := int64(d.maxChunk)*4/3 + 64<<10
	if err := json.NewDecoder(io.LimitReader(res.Body, limit)).Decode(&out); err != nil {
		return out, fmt.Errorf("%w: chunk %d (at most %d bytes): %v", ErrBadChunk, i, limit, err)
	}
	return out, nil
}

// checkWhole recomputes the Merkle root over the file's chunks: a resumed
// download is whole and unchanged only if it is the chain's.
func (d *resultDownload) checkWhole(f *os.File, cols uint64) (int64, error) {
	hdr := int64(len(npyHeader(d.job.Rows, cols)))
	count := d.job.Result.ChunkCount
	leaves := make([]merkle.Hash, count)
	buf := make([]byte, d.job.Workload.ChunkRows*cols*4)
	for i := uint64(0); i < count; i++ {
		n := d.chunkRows(i) * cols * 4
		if _, err := f.ReadAt(buf[:n], hdr+int64(i*d.job.Workload.ChunkRows*cols*4)); err != nil {
			return 0, err
		}
		leaves[i] = merkle.LeafHash(i, buf[:n])
	}
	t, err := merkle.FromLeafHashes(leaves)
	if err != nil {
		return 0, err
	}
	if root := t.Root(); !bytes.Equal(root[:], d.job.Result.OutputRoot) {
		return 0, fmt.Errorf("%w: %x, the chain records %x", ErrResultRoot, root, d.job.Result.OutputRoot)
	}
	return hdr + int64(d.job.Rows*cols*4), nil
}
