package dataserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/chainclient/bonded"
	computetypes "github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/datamarket/types"
)

// ErrNotFound is returned by a Chain for an unknown dataset or version.
var ErrNotFound = errors.New("not found")

// Chain is what the server reads from the chain.
type Chain interface {
	// Dataset returns a dataset (ErrNotFound).
	Dataset(ctx context.Context, id uint64) (types.Dataset, error)
	// DatasetsOf returns every dataset an owner listed.
	DatasetsOf(ctx context.Context, owner string) ([]types.Dataset, error)
	// DatasetVersion returns one version of a dataset (ErrNotFound).
	DatasetVersion(ctx context.Context, id, version uint64) (types.DatasetVersion, error)
	// HasAccess is x/datamarket's HasAccess query: whether address may read
	// the version (0: the current one), which version that is, and the
	// live compute job that grants it, if one does.
	HasAccess(ctx context.Context, id uint64, address string, version uint64) (Access, error)
	// Validators returns the account addresses of the bonded validators'
	// operators (their valoper addresses with the account prefix).
	Validators(ctx context.Context) (map[string]bool, error)
	// Providers returns addresses of the active x/compute providers
	// (registered with a bond, not jailed or unbonding), from the list's
	// key from (nil: its start), at most one read's pages, and the key the
	// next read starts from (nil: the list is done).
	Providers(ctx context.Context, from []byte) (set map[string]bool, next []byte, err error)
}

// Access is a HasAccess answer.
type Access struct {
	// Has: the address may read the version.
	Has bool
	// Version is the version the answer is about (0 asked: the current).
	Version uint64
	// JobID is the live compute job whose assigned provider the address is
	// (x/datamarket JobAccess), when that is what grants access; 0 when a
	// licence or ownership does (a licence is checked first on chain).
	JobID uint64
}

// GRPCChain reads the chain through a node's gRPC endpoint.
type GRPCChain struct {
	// Prefix is the bech32 account prefix Validators writes addresses with
	// (default "aic", as Config.Prefix).
	Prefix  string
	conn    *grpc.ClientConn
	market  types.QueryClient
	staking stakingtypes.QueryClient
	compute computetypes.QueryClient
}

// DialChain connects to a node's gRPC address (host:port, plaintext).
func DialChain(addr string) (*GRPCChain, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &GRPCChain{conn: conn, market: types.NewQueryClient(conn), staking: stakingtypes.NewQueryClient(conn),
		compute: computetypes.NewQueryClient(conn)}, nil
}

// Close closes the connection.
func (c *GRPCChain) Close() error { return c.conn.Close() }

// notFound marks a gRPC NotFound as ErrNotFound. Other errors (the node's
// registered module errors reach a client as Unknown) stay as they are: the
// server answers 502 for them rather than guess from their text.
func notFound(err error) error {
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return err
}

// Dataset implements Chain.
func (c *GRPCChain) Dataset(ctx context.Context, id uint64) (types.Dataset, error) {
	res, err := c.market.Dataset(ctx, &types.QueryDatasetRequest{Id: id})
	if err != nil {
		return types.Dataset{}, notFound(err)
	}
	return res.Dataset, nil
}

// DatasetsOf implements Chain, page by page.
func (c *GRPCChain) DatasetsOf(ctx context.Context, owner string) ([]types.Dataset, error) {
	var out []types.Dataset
	var key []byte
	for {
		res, err := c.market.Datasets(ctx, &types.QueryDatasetsRequest{Owner: owner, Pagination: &query.PageRequest{Key: key, Limit: 200}})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Datasets...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
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
func (c *GRPCChain) HasAccess(ctx context.Context, id uint64, address string, version uint64) (Access, error) {
	res, err := c.market.HasAccess(ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: address, Version: version})
	if err != nil {
		return Access{}, notFound(err)
	}
	return Access{Has: res.HasAccess, Version: res.Version, JobID: res.JobId}, nil
}

// Validators implements Chain with x/staking's Validators query (bonded
// only), page by page.
func (c *GRPCChain) Validators(ctx context.Context) (map[string]bool, error) {
	prefix := c.Prefix
	if prefix == "" {
		prefix = "aic"
	}
	return bonded.OperatorAccounts(ctx, c.staking, prefix)
}

// maxProviderPages bounds the pages Providers reads (200 providers a
// page: 10,000 providers), whatever the node answers.
const maxProviderPages = 50

// Providers implements Chain with x/compute's Providers query (status
// ACTIVE, through its status index), page by page from from, at most
// maxProviderPages.
func (c *GRPCChain) Providers(ctx context.Context, from []byte) (map[string]bool, []byte, error) {
	out := map[string]bool{}
	key := from
	for range maxProviderPages {
		res, err := c.compute.Providers(ctx, &computetypes.QueryProvidersRequest{
			Status: computetypes.ProviderStatus_PROVIDER_STATUS_ACTIVE, Pagination: &query.PageRequest{Key: key, Limit: 200},
		})
		if err != nil {
			return nil, nil, err
		}
		for _, p := range res.Providers {
			out[p.Address] = true
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil, nil
		}
		if bytes.Equal(res.Pagination.NextKey, key) {
			return nil, nil, fmt.Errorf("the node's next key does not move on")
		}
		key = res.Pagination.NextKey
	}
	return out, key, nil
}
