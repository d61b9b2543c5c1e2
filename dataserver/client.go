package dataserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
)

// Client makes signed requests to an aichain-dataserver.
type Client struct {
	BaseURL string
	Signer  signedreq.Signer
	HTTP    *http.Client
	Now     func() time.Time
}

// HTTPError is a refusal from the server.
type HTTPError struct {
	Status  int
	Code    string
	Message string
	// NotBefore is the server's ErrorResponse.NotBefore (0: none).
	NotBefore int64
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("dataserver refused the request: %d %s: %s", e.Status, e.Code, e.Message)
}

// Errors of a served body that does not match the chain.
var (
	ErrTooLarge = errors.New("the server sent more than the chain's record allows")
	ErrMismatch = errors.New("the served data does not match the chain")
)

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 30 * time.Minute}
}

// send sends a signed request of path (?version= when version is not 0)
// with method (GET, or HEAD for a probe) and returns the response when it is
// 200, or 204 to a probe; a refusal as an error (*HTTPError, in a
// *BusyError when busy). A request refused as signed before the server
// started (a server just restarted, and this client's clock a little behind
// its) is signed anew and sent once more: at the first second the server
// serves (its answer's not_before) if this client's clock is behind that,
// so that a client whose clock runs seconds slow is not refused again
// (TestAttackLaggingClockReadsRestartAsNotServed); restartRetry later from
// a server that does not say.
func (c *Client) send(ctx context.Context, method, path string, version uint64) (*http.Response, error) {
	audience, err := signedreq.Audience(c.BaseURL)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + path)
	if err != nil {
		return nil, err
	}
	if version > 0 {
		u.RawQuery = url.Values{"version": {strconv.FormatUint(version, 10)}}.Encode()
	}
	resp, err := c.sendOnce(ctx, method, u.String(), audience, c.now())
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized || he.Code != codeSignedBeforeStart {
		return resp, err
	}
	if he.NotBefore > 0 {
		return c.sendOnce(ctx, method, u.String(), audience, latest(c.now(), time.Unix(he.NotBefore, 0)))
	}
	t := time.NewTimer(restartRetry)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
	}
	return c.sendOnce(ctx, method, u.String(), audience, c.now())
}

// latest is the later of a and b.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// restartRetry is how long Client waits before it signs anew a request
// refused as signed before the server started.
const restartRetry = time.Second

// sendOnce signs at the time at and sends one request.
func (c *Client) sendOnce(ctx context.Context, method, target, audience string, at time.Time) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, err
	}
	if err := signedreq.Sign(req, c.Signer, audience, at); err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && (method != http.MethodHead || resp.StatusCode != http.StatusNoContent) {
		defer resp.Body.Close()
		return nil, WrapBusy(resp, readHTTPError(resp), c.now())
	}
	return resp, nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func readHTTPError(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	var er ErrorResponse
	if json.Unmarshal(body, &er) != nil || er.Error == "" {
		er = ErrorResponse{Error: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(body))}
	}
	return &HTTPError{Status: resp.StatusCode, Code: er.Error, Message: er.Message, NotBefore: er.NotBefore}
}

// Expect is what the chain records of a version: the download must match.
type Expect struct {
	// Sha256 (hex) of the file; empty: not checked.
	Sha256 string
	// RowsSha256 (hex) of the file's rows alone, its last Rows·Cols·4
	// bytes (the values without the .npy header); empty (a version listed
	// before the rows key): not checked. Checking it needs Rows and Cols,
	// and an answer that says its length (Content-Length), to know where
	// the rows start.
	RowsSha256 string
	// Rows and Cols bound the body: at most rows·cols·4 +
	// workload.MaxNPYPrefixBytes bytes are read, the most a .npy file the
	// parser accepts holds (0: MaxBytes alone).
	Rows, Cols uint64
	// MaxBytes caps the body when Rows or Cols is 0 (default 1 GiB).
	MaxBytes int64
}

// Limit is the most bytes a download matching e reads.
func (e Expect) Limit() int64 {
	if e.Rows > 0 && e.Cols > 0 && e.Rows <= 1<<40/e.Cols {
		return int64(e.Rows*e.Cols)*4 + workload.MaxNPYPrefixBytes
	}
	if e.MaxBytes > 0 {
		return e.MaxBytes
	}
	return 1 << 30
}

// DownloadTo streams a dataset's file (version 0 = current) into w, reading
// no more than the chain's record allows, and checks its sha256 and its
// rows' sha256 (want.RowsSha256: the body's last Rows·Cols·4 bytes), both in
// the one pass.
func (c *Client) DownloadTo(ctx context.Context, w io.Writer, datasetID, version uint64, want Expect) (int64, error) {
	resp, err := c.send(ctx, http.MethodGet, fmt.Sprintf("/v1/datasets/%d", datasetID), version)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	limit := want.Limit()
	if resp.ContentLength > limit {
		return 0, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, resp.ContentLength, limit)
	}
	rows, err := want.rowsHash(resp.ContentLength)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h, rows), io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return n, err
	}
	if n > limit {
		return n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); want.Sha256 != "" && !strings.EqualFold(got, want.Sha256) {
		return n, fmt.Errorf("%w: the file has sha256 %s, the chain records %s", ErrMismatch, got, want.Sha256)
	}
	if got := hex.EncodeToString(rows.h.Sum(nil)); want.RowsSha256 != "" && !strings.EqualFold(got, want.RowsSha256) {
		return n, fmt.Errorf("%w: the file's rows have sha256 %s, the chain records %s", ErrMismatch, got, want.RowsSha256)
	}
	return n, nil
}

// rowsHash returns the writer that hashes the rows of a body of length
// bytes (Content-Length, -1 unknown) as it streams by: its last
// Rows·Cols·4 bytes. It refuses, when e.RowsSha256 is set, a body whose
// length is unknown or too short to hold the rows, and a record without a
// shape: where the rows start is then not known. With no RowsSha256 it
// hashes nothing.
func (e Expect) rowsHash(length int64) (*tailHash, error) {
	if e.RowsSha256 == "" {
		return &tailHash{skip: math.MaxInt64, h: sha256.New()}, nil
	}
	if e.Rows == 0 || e.Cols == 0 || e.Rows > 1<<40/e.Cols {
		return nil, fmt.Errorf("%w: the rows' sha256 cannot be checked without the version's shape (%d×%d)", ErrMismatch, e.Rows, e.Cols)
	}
	body := int64(e.Rows*e.Cols) * 4
	if length < body {
		return nil, fmt.Errorf("%w: the server sent a body of %d bytes (-1: unknown), the chain records %d×%d rows (%d bytes)",
			ErrMismatch, length, e.Rows, e.Cols, body)
	}
	return &tailHash{skip: length - body, h: sha256.New()}, nil
}

// tailHash hashes what is written to it past its first skip bytes.
type tailHash struct {
	skip int64
	h    hash.Hash
}

func (t *tailHash) Write(p []byte) (int, error) {
	n := len(p)
	if t.skip >= int64(n) {
		t.skip -= int64(n)
		return n, nil
	}
	t.h.Write(p[t.skip:])
	t.skip = 0
	return n, nil
}

// Download is DownloadTo into memory.
func (c *Client) Download(ctx context.Context, datasetID, version uint64, want Expect) ([]byte, error) {
	var b bytes.Buffer
	if _, err := c.DownloadTo(ctx, &b, datasetID, version, want); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Chunk fetches row chunk i and verifies its Merkle proof against the
// on-chain content root in a tree of chunkCount leaves (ceil(rows /
// rows_per_chunk) of the on-chain record: the root alone does not commit to
// the count). The body is limited to what a chunk of rowsPerChunk×cols
// float32 with its proof can take.
func (c *Client) Chunk(ctx context.Context, datasetID, version, i uint64, contentRoot []byte, chunkCount, rowsPerChunk, cols uint64) (*ChunkResponse, error) {
	resp, err := c.send(ctx, http.MethodGet, fmt.Sprintf("/v1/datasets/%d/chunks/%d", datasetID, i), version)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := int64(rowsPerChunk*cols*4)*4/3 + 4096 + merkle.MaxProofLen*70
	var cr ChunkResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, limit)).Decode(&cr); err != nil {
		return nil, fmt.Errorf("decode chunk (at most %d bytes): %w", limit, err)
	}
	if cr.ChunkCount != chunkCount || cr.Index != i {
		return nil, fmt.Errorf("%w: chunk %d of %d sent, asked for chunk %d of %d", ErrMismatch, cr.Index, cr.ChunkCount, i, chunkCount)
	}
	if err := VerifyChunk(&cr, contentRoot); err != nil {
		return nil, err
	}
	return &cr, nil
}

// VerifyChunk checks a chunk's Merkle proof against a content root.
func VerifyChunk(cr *ChunkResponse, contentRoot []byte) error {
	if len(contentRoot) != merkle.HashSize {
		return fmt.Errorf("%w: content root must be %d bytes", ErrMismatch, merkle.HashSize)
	}
	var root merkle.Hash
	copy(root[:], contentRoot)
	if err := cr.Chunk.Verify(root, cr.ChunkCount); err != nil {
		return fmt.Errorf("%w: chunk %d does not verify against the content root: %w", ErrMismatch, cr.Index, err)
	}
	return nil
}

// ErrNotServed is a server's answer that it does not serve a dataset
// version: it does not hold the file (404) or refuses a valid signature.
var ErrNotServed = errors.New("the dataset server does not serve the version")

// Holds asks the server whether it serves the version, without reading its
// rows: a probe, the signed HEAD of the version's first chunk, which a server
// answers 204 when it holds the version's file and that file makes the
// version's record (sha256, content root, rows sha256), 404 when not, and which
// never returns rows (HEAD has no body, and the method is signed: it cannot
// be replayed as a GET). nil when it serves the version (204; or, from a
// server that predates the probe and serves a HEAD as a GET without its body,
// 200, or 403: the signer holds no licence yet, and such a server looks the
// file up before the licence), ErrNotServed when it answers that it does not
// (404, or a refusal of a valid signature), a *BusyError when it answers busy
// (503 or 429: it has not said, and asks to be asked again after its
// Retry-After), another error when it cannot be asked (not reachable, no
// key). A bidding provider and a validator's sidecar checking an aborted
// job's inputs both ask it.
func (c *Client) Holds(ctx context.Context, datasetID, version uint64) error {
	resp, err := c.send(ctx, http.MethodHead, fmt.Sprintf("/v1/datasets/%d/chunks/0", datasetID), version)
	if err == nil {
		return resp.Body.Close()
	}
	var he *HTTPError
	var busy *BusyError
	switch {
	case errors.As(err, &busy):
		return fmt.Errorf("dataset %d version %d: %w", datasetID, version, err)
	case errors.As(err, &he) && he.Status == http.StatusForbidden:
		return nil
	case errors.As(err, &he):
		return fmt.Errorf("%w: dataset %d version %d: %w", ErrNotServed, datasetID, version, err)
	}
	return err
}
