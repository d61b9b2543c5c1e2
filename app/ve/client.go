package ve

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sidecartypes "github.com/aichain/aichain/sidecar/types"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// VerdictClient gives ExtendVote the verdicts the sidecar has ready.
type VerdictClient interface {
	Verdicts(ctx context.Context, height int64) ([]computetypes.JobVerdict, error)
}

// GRPCClient talks to an aichain-sidecar over gRPC on a local address. The
// connection is made lazily and re-made by gRPC after a sidecar restart.
type GRPCClient struct {
	conn   *grpc.ClientConn
	client sidecartypes.VerifierClient
}

// NewGRPCClient returns a client of the sidecar at addr (host:port).
func NewGRPCClient(addr string) (*GRPCClient, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("verifier sidecar %s: %w", addr, err)
	}
	return &GRPCClient{conn: conn, client: sidecartypes.NewVerifierClient(conn)}, nil
}

// Verdicts asks the sidecar for its ready verdicts.
func (c *GRPCClient) Verdicts(ctx context.Context, height int64) ([]computetypes.JobVerdict, error) {
	resp, err := c.client.Verdicts(ctx, &sidecartypes.VerdictsRequest{Height: height})
	if err != nil {
		return nil, err
	}
	return resp.Verdicts, nil
}

// Close closes the connection.
func (c *GRPCClient) Close() error { return c.conn.Close() }
