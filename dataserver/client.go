package dataserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aichain/aichain/workload/merkle"
)

// Signer signs a message with an account's secp256k1 key.
type Signer func(msg []byte) ([]byte, error)

// Client makes signed requests to an aichain-dataserver.
type Client struct {
	BaseURL string
	Address string
	Sign    Signer
	HTTP    *http.Client
	Now     func() time.Time
}

// HTTPError is a refusal from the server.
type HTTPError struct {
	Status  int
	Code    string
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("dataserver refused the request: %d %s: %s", e.Status, e.Code, e.Message)
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

func (c *Client) get(ctx context.Context, datasetID uint64, path string, version uint64) (*http.Response, error) {
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + path)
	if err != nil {
		return nil, err
	}
	if version > 0 {
		u.RawQuery = url.Values{"version": {strconv.FormatUint(version, 10)}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if err := c.SignRequest(req, datasetID); err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var er ErrorResponse
		if json.Unmarshal(body, &er) != nil || er.Error == "" {
			er = ErrorResponse{Error: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(body))}
		}
		return nil, &HTTPError{Status: resp.StatusCode, Code: er.Error, Message: er.Message}
	}
	return resp, nil
}

// SignRequest adds the signature headers for dataset datasetID to req.
func (c *Client) SignRequest(req *http.Request, datasetID uint64) error {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return err
	}
	nonce := hex.EncodeToString(n[:])
	ts := now().Unix()
	sig, err := c.Sign(CanonicalMessage(datasetID, c.Address, ts, nonce, req.URL.RequestURI()))
	if err != nil {
		return fmt.Errorf("sign the request: %w", err)
	}
	req.Header.Set(HeaderAddress, c.Address)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// Download fetches a dataset's file (version 0 = current) and checks it
// against expectedSHA256 (hex) when that is not empty.
func (c *Client) Download(ctx context.Context, datasetID, version uint64, expectedSHA256 string) ([]byte, error) {
	resp, err := c.get(ctx, datasetID, fmt.Sprintf("/v1/datasets/%d", datasetID), version)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if expectedSHA256 != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != expectedSHA256 {
			return nil, fmt.Errorf("downloaded file has sha256 %s, the chain records %s", got, expectedSHA256)
		}
	}
	return data, nil
}

// Chunk fetches row chunk i and, when contentRoot (the on-chain root) is not
// nil, verifies its Merkle proof against it in a tree of chunkCount leaves
// (ceil(rows / rows_per_chunk) of the on-chain record: the root alone does not
// commit to the count).
func (c *Client) Chunk(ctx context.Context, datasetID, version, i uint64, contentRoot []byte, chunkCount uint64) (*ChunkResponse, error) {
	resp, err := c.get(ctx, datasetID, fmt.Sprintf("/v1/datasets/%d/chunks/%d", datasetID, i), version)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var cr ChunkResponse
	if err := json.NewDecoder(resp.Body).Decode(&cr); err != nil {
		return nil, fmt.Errorf("decode chunk: %w", err)
	}
	if contentRoot != nil {
		if cr.ChunkCount != chunkCount || cr.Index != i {
			return nil, fmt.Errorf("server sent chunk %d of %d, asked for chunk %d of %d", cr.Index, cr.ChunkCount, i, chunkCount)
		}
		if err := VerifyChunk(&cr, contentRoot); err != nil {
			return nil, err
		}
	}
	return &cr, nil
}

// VerifyChunk checks a chunk's Merkle proof against a content root.
func VerifyChunk(cr *ChunkResponse, contentRoot []byte) error {
	if len(contentRoot) != merkle.HashSize {
		return fmt.Errorf("content root must be %d bytes", merkle.HashSize)
	}
	var root merkle.Hash
	copy(root[:], contentRoot)
	if err := cr.Chunk.Verify(root, cr.ChunkCount); err != nil {
		return fmt.Errorf("chunk %d does not verify against the content root: %w", cr.Index, err)
	}
	return nil
}
