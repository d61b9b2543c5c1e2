package sidecar

import (
	"context"

	sidecartypes "github.com/aichain/aichain/sidecar/types"
)

// Server serves the node's Verifier gRPC calls from the verifier's ready
// verdicts; it never waits for verification.
type Server struct {
	sidecartypes.UnimplementedVerifierServer
	v *Verifier
}

// NewServer returns the gRPC service of a verifier.
func NewServer(v *Verifier) *Server { return &Server{v: v} }

// Verdicts returns the verdicts ready for the vote at the request's height.
func (s *Server) Verdicts(_ context.Context, req *sidecartypes.VerdictsRequest) (*sidecartypes.VerdictsResponse, error) {
	s.v.metrics.Served.Inc()
	return &sidecartypes.VerdictsResponse{Verdicts: s.v.Ready(req.GetHeight())}, nil
}
