package provider

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// ErrBondTooSmall is a configured bond below the chain's min_provider_bond.
var ErrBondTooSmall = errors.New("bond below the chain's min_provider_bond")

// provider returns the chain's record of this provider, or found false.
func (a *Agent) provider(ctx context.Context) (computetypes.Provider, bool, error) {
	res, err := a.query.Provider(ctx, &computetypes.QueryProviderRequest{Address: a.me})
	if err == nil {
		return res.Provider, true, nil
	}
	if status.Code(err) == codes.NotFound {
		return computetypes.Provider{}, false, nil
	}
	return computetypes.Provider{}, false, fmt.Errorf("query provider: %w", err)
}

// ensureRegistered registers the provider when it is not, with the
// configured bond or else the chain's min_provider_bond.
func (a *Agent) ensureRegistered(ctx context.Context) error {
	_, found, err := a.provider(ctx)
	if err != nil || found {
		return err
	}
	if !a.cfg.Register {
		return fmt.Errorf("%w: %s (run with --register)", ErrNotProvider, a.me)
	}
	bond, min := a.cfg.Bond, a.params.MinProviderBond
	if bond.IsNil() || bond.IsZero() {
		bond = min
	}
	if bond.Denom != min.Denom || bond.IsLT(min) {
		return fmt.Errorf("%w: %s < %s", ErrBondTooSmall, bond, min)
	}
	a.log.Info("registering as a provider", "bond", bond.String(), "endpoint", a.cfg.Endpoint)
	_, err = a.client.Broadcast(ctx, &computetypes.MsgRegisterProvider{
		Operator: a.me, Moniker: a.cfg.Moniker, Endpoint: a.cfg.Endpoint, Hardware: a.cfg.Hardware, Bond: bond,
	})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return nil
}
