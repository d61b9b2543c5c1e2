package dataserver

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/std"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	vestingtypes "github.com/cosmos/cosmos-sdk/x/auth/vesting/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

var (
	// ErrNotFound is returned by a Chain for an unknown dataset, version or account.
	ErrNotFound = errors.New("not found")
	// ErrNoPubKey is returned for an account that has no public key on chain yet.
	ErrNoPubKey = errors.New("the account has no public key on chain (it has never signed a transaction)")
)

// Chain is what the server reads from the chain.
type Chain interface {
	// PubKey returns the account's public key (ErrNotFound, ErrNoPubKey).
	PubKey(ctx context.Context, address string) (cryptotypes.PubKey, error)
	// Dataset returns a dataset (ErrNotFound).
	Dataset(ctx context.Context, id uint64) (types.Dataset, error)
	// DatasetVersion returns one version of a dataset (ErrNotFound).
	DatasetVersion(ctx context.Context, id, version uint64) (types.DatasetVersion, error)
	// HasAccess is x/datamarket's HasAccess query.
	HasAccess(ctx context.Context, id uint64, address string, version uint64) (bool, error)
}

// GRPCChain reads the chain through a node's gRPC endpoint.
type GRPCChain struct {
	conn     *grpc.ClientConn
	registry codectypes.InterfaceRegistry
	auth     authtypes.QueryClient
	market   types.QueryClient
}

// DialChain connects to a node's gRPC address (host:port, plaintext).
func DialChain(addr string) (*GRPCChain, error) {
	registry := codectypes.NewInterfaceRegistry()
	std.RegisterInterfaces(registry)
	authtypes.RegisterInterfaces(registry)
	vestingtypes.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(cdc.GRPCCodec())))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &GRPCChain{conn: conn, registry: registry, auth: authtypes.NewQueryClient(conn), market: types.NewQueryClient(conn)}, nil
}

// Close closes the connection.
func (c *GRPCChain) Close() error { return c.conn.Close() }

func notFound(err error) error {
	if status.Code(err) == codes.NotFound || errors.Is(err, types.ErrDatasetNotFound) || errors.Is(err, types.ErrVersionNotFound) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	// Registered module errors reach a gRPC client as Unknown with the text.
	if s, ok := status.FromError(err); ok && (containsAny(s.Message(), types.ErrDatasetNotFound.Error(), types.ErrVersionNotFound.Error())) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return err
}

// PubKey implements Chain.
func (c *GRPCChain) PubKey(ctx context.Context, address string) (cryptotypes.PubKey, error) {
	res, err := c.auth.Account(ctx, &authtypes.QueryAccountRequest{Address: address})
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil, fmt.Errorf("%w: account %s", ErrNotFound, address)
		}
		return nil, err
	}
	var acc sdk.AccountI
	if err := c.registry.UnpackAny(res.Account, &acc); err != nil {
		return nil, fmt.Errorf("decode account %s: %w", address, err)
	}
	pk := acc.GetPubKey()
	if pk == nil {
		return nil, ErrNoPubKey
	}
	return pk, nil
}

// Dataset implements Chain.
func (c *GRPCChain) Dataset(ctx context.Context, id uint64) (types.Dataset, error) {
	res, err := c.market.Dataset(ctx, &types.QueryDatasetRequest{Id: id})
	if err != nil {
		return types.Dataset{}, notFound(err)
	}
	return res.Dataset, nil
}

// DatasetVersion implements Chain.
func (c *GRPCChain) DatasetVersion(ctx context.Context, id, version uint64) (types.DatasetVersion, error) {
	res, err := c.market.DatasetVersion(ctx, &types.QueryDatasetVersionRequest{DatasetId: id, Version: version})
	if err != nil {
		return types.DatasetVersion{}, notFound(err)
	}
	return res.DatasetVersion, nil
}

// HasAccess implements Chain.
func (c *GRPCChain) HasAccess(ctx context.Context, id uint64, address string, version uint64) (bool, error) {
	res, err := c.market.HasAccess(ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: address, Version: version})
	if err != nil {
		return false, notFound(err)
	}
	return res.HasAccess, nil
}
