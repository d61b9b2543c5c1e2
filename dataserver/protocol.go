// Package dataserver is aichain's licence-gated dataset server and its client.
//
// # Protocol
//
// The server holds dataset files (NumPy .npy, format npy-f32) whose sha256
// matches a version recorded on chain by x/datamarket, and serves:
//
//	GET /v1/datasets/{id}[?version=V]            the whole file (application/octet-stream)
//	GET /v1/datasets/{id}/chunks/{i}[?version=V] row chunk i with its Merkle proof (JSON, see ChunkResponse)
//
// V defaults to the dataset's current on-chain version. Every request must be
// signed by an account for which the chain's HasAccess query is true. The
// request carries four headers:
//
//	X-Aichain-Address    the bech32 account address
//	X-Aichain-Timestamp  Unix seconds when the request was signed
//	X-Aichain-Nonce      a fresh random string (8..128 characters)
//	X-Aichain-Signature  base64 of the secp256k1 signature (64 bytes, r‖s) over
//	                     CanonicalMessage: "aichain-dataserver/v1\n{dataset id}\n
//	                     {address}\n{timestamp}\n{nonce}\n{request URI}"
//
// The signature is made with the account's own key (the Cosmos secp256k1
// scheme: ECDSA over SHA-256 of the message) and checked against the public key
// the chain records for the account (x/auth), so the account must have sent
// at least one transaction. Errors are JSON {"error": code, "message": text}:
//
//	400 bad_request       malformed id, chunk index or version
//	401 missing_signature a header is missing
//	401 stale_request     the timestamp is older than the window (60 s by default)
//	401 future_request    the timestamp is ahead of the server's clock (beyond 5 s)
//	401 replayed_request  the nonce was already used by this address within the window
//	401 unknown_account   the chain has no account, or no public key, for the address
//	401 bad_signature     the signature does not verify with the account's key
//	403 no_access         HasAccess is false (no valid licence, not the owner or a job's provider)
//	404 not_found         the chain has no such dataset/version, or this server does not hold it
//	502 chain_unavailable the node did not answer
package dataserver

import (
	"fmt"
	"strings"

	"github.com/aichain/aichain/workload/merkle"
)

// Header names of a signed request.
const (
	HeaderAddress   = "X-Aichain-Address"
	HeaderTimestamp = "X-Aichain-Timestamp"
	HeaderNonce     = "X-Aichain-Nonce"
	HeaderSignature = "X-Aichain-Signature"

	// HeaderSha256 and HeaderVersion describe a served file.
	HeaderSha256  = "X-Aichain-Sha256"
	HeaderVersion = "X-Aichain-Version"

	// SignDomain starts every signed message.
	SignDomain = "aichain-dataserver/v1"
)

// CanonicalMessage is the exact byte string a request's signature covers.
func CanonicalMessage(datasetID uint64, address string, timestamp int64, nonce, requestURI string) []byte {
	return []byte(strings.Join([]string{
		SignDomain, fmt.Sprint(datasetID), address, fmt.Sprint(timestamp), nonce, requestURI,
	}, "\n"))
}

// ChunkResponse is the JSON body of a chunk request. Its chunk carries the
// index, the chunk's rows as little-endian float32 (base64) and the Merkle
// audit path (siblings from the leaf up, hex) against the content root.
type ChunkResponse struct {
	DatasetID uint64 `json:"dataset_id"`
	Version   uint64 `json:"version"`
	merkle.Chunk
	ChunkCount   uint64 `json:"chunk_count"`
	RowsPerChunk uint64 `json:"rows_per_chunk"`
	Cols         uint64 `json:"cols"`
	RowStart     uint64 `json:"row_start"`
	RowEnd       uint64 `json:"row_end"`
	// ContentRoot is the on-chain content_root, hex.
	ContentRoot string `json:"content_root"`
}

// ErrorResponse is the JSON body of an error.
type ErrorResponse struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}
