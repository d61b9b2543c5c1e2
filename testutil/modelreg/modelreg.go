// Package modelreg is a model registry for the agents' tests:
// x/modelregistry's query client answering Model from a map of records, as
// a node does (codes.NotFound for an id it does not hold).
package modelreg

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// Records is a model registry of the records by id; the other queries are
// not answered (the embedded nil client).
type Records struct {
	modelregistrytypes.QueryClient
	ByID map[uint64]modelregistrytypes.Model
}

// Of is a registry of recs, each under its Id.
func Of(recs ...modelregistrytypes.Model) Records {
	r := Records{ByID: make(map[uint64]modelregistrytypes.Model, len(recs))}
	for _, rec := range recs {
		r.ByID[rec.Id] = rec
	}
	return r
}

// Model implements modelregistrytypes.QueryClient.
func (r Records) Model(_ context.Context, in *modelregistrytypes.QueryModelRequest, _ ...grpc.CallOption) (*modelregistrytypes.QueryModelResponse, error) {
	rec, ok := r.ByID[in.Id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "model %d not found", in.Id)
	}
	return &modelregistrytypes.QueryModelResponse{Model: rec}, nil
}
