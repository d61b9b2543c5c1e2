// Package dataserver is aichain's licence-gated dataset server and its client.
//
// # What it serves
//
// The server holds dataset files (NumPy .npy, format npy-f32) and serves a
// dataset only when it was configured for it: the dataset's on-chain owner is
// one of its --owner addresses (files found in its folder by sha256), or the
// dataset's id is mapped to a file explicitly (--dataset ID=PATH: that file
// alone, for the versions whose sha256 it has). A listing that copies another
// owner's sha256 is someone else's dataset: the server does not serve it,
// whatever the chain says about its access; nor is a file of the folder ever
// served as an explicitly mapped id, whatever versions its owner publishes.
//
//	GET /v1/datasets/{id}[?version=V]            the whole file (application/octet-stream, Range supported)
//	GET /v1/datasets/{id}/chunks/{i}[?version=V] row chunk i with its Merkle proof (JSON, see ChunkResponse)
//	HEAD of either                               a probe: whether the server holds the version, 204 or 404 (probe.go)
//
// V defaults to the dataset's current on-chain version. A probe needs no
// access and never returns rows: a bidding provider and a validator's
// sidecar ask it (Client.Holds) before they may read the version.
//
// # Who may read
//
// Every request is signed with the scheme of package chainclient/signedreq
// (ADR-036 arbitrary messages, as Keplr, Leap and a Ledger sign them) for
// this server's audience (its public base URL). In order, with no disk or
// chain work before the signature holds:
//
//  1. the signature, its audience and freshness (CPU only), then that this
//     server serves the dataset and the version is not newer than its
//     current one (memory only: a newer one re-reads the served list at most
//     every 2 s, whoever asks; ErrNoSuchVersion);
//  2. the signer's access: x/datamarket's HasAccess for the dataset and
//     version (a licence, the owner, or the assigned provider of a live job
//     that uses it), cached briefly, with a bound on concurrent chain look-ups
//     (the version's record, read first when ?version= is given, shares them);
//  3. that no request for the same access was refused after this one was
//     signed: a request refused for want of access is never served later,
//     even once access opens (refused.go);
//  4. the nonce, recorded only now (so that only accounts with access fill
//     the replay store);
//  5. the file (an owner's dataset: the folder's file with the version's
//     sha256; an explicit id: its mapped file), and a download slot: at most
//     MaxDownloads in flight, DownloadsPerAccount per account; a reader that
//     takes nothing for StallTimeout is dropped (downloads.go).
//
// Errors are JSON {"error": code, "message": text}:
//
//	400 bad_request        malformed id, chunk index or version
//	401 missing_signature  a signature header is missing
//	401 bad_signature      malformed headers, a key that is not the signer's, or a signature that does not verify
//	401 wrong_audience     signed for another server
//	401 stale_request      older than the window (60 s by default)
//	401 future_request     ahead of the server's clock (beyond 5 s)
//	401 replayed_request   the nonce was already used
//	401 refused_request    signed no later than a refusal of the same access, or than the signer's request refused 429 (ErrRefusedEarlier): sign it anew
//	403 no_access          HasAccess is false
//	404 not_found          this server does not serve that dataset, version or chunk
//	429 too_many_requests  the signer's fresh requests exceed the per-address cap
//	502 chain_unavailable  the node did not answer
//	503 busy               too many chain look-ups or downloads at once, a file changed on disk, or a version's chunk
//	                       tree still being built after TreeWait (retry after Retry-After)
//
// and a probe that the server holds the version is answered 204 No Content.
package dataserver

import (
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload/merkle"
)

// Header names of a signed request (package signedreq) and of a served file.
const (
	HeaderAddress   = signedreq.HeaderAddress
	HeaderSignature = signedreq.HeaderSignature

	// HeaderSha256 and HeaderVersion describe a served file.
	HeaderSha256  = "X-Aichain-Sha256"
	HeaderVersion = "X-Aichain-Version"
)

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
	// NotBefore, on a 401 signed_before_start, is the first Unix second
	// (the server's clock) whose signed requests the server serves: a
	// client signs anew at it or later, whatever its own clock says.
	NotBefore int64 `json:"not_before,omitempty"`
}
