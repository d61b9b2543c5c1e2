package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

const flagMaxPrice = "max-price"

// DefaultMaxPrice is the max_price the CLI signs when --max-price is not
// given: the offer's price as the chain shows it now (0 of the bond denom for
// a free offer). The purchase then fails, costing the buyer nothing, if the
// owner raises the price before it executes.
func DefaultMaxPrice(price sdk.Coins) (sdk.Coin, error) {
	switch len(price) {
	case 0:
		return sdk.NewInt64Coin(sdk.DefaultBondDenom, 0), nil
	case 1:
		return price[0], nil
	default:
		return sdk.Coin{}, fmt.Errorf("the price %s has several denoms: give --%s", price, flagMaxPrice)
	}
}

// queriedOffer is the offer a purchase or renewal is under as the chain
// shows it now, from current(); nil when the command runs --offline, which
// cannot query (the message then carries no expected terms).
func queriedOffer(clientCtx client.Context, current func() (types.LicenseOffer, error)) (*types.LicenseOffer, error) {
	if clientCtx.Offline {
		return nil, nil
	}
	o, err := current()
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// maxPrice reads --max-price, or, when it is empty, takes the price of the
// queried offer and says so on stderr.
func maxPrice(cmd *cobra.Command, what string, offer *types.LicenseOffer) (sdk.Coin, error) {
	s, err := cmd.Flags().GetString(flagMaxPrice)
	if err != nil {
		return sdk.Coin{}, err
	}
	if s != "" {
		return sdk.ParseCoinNormalized(s)
	}
	if offer == nil {
		return sdk.Coin{}, fmt.Errorf("--%s is required offline", flagMaxPrice)
	}
	c, err := DefaultMaxPrice(offer.Price)
	if err != nil {
		return sdk.Coin{}, err
	}
	cmd.PrintErrf("--%s not given: capping at %s's current price, %s (the transaction fails if it rises before it executes)\n",
		flagMaxPrice, what, c)
	return c, nil
}

func addMaxPriceFlag(cmd *cobra.Command) {
	cmd.Flags().String(flagMaxPrice, "", "the most to pay, one coin (e.g. 1000uaic); default: the offer's current price as queried now")
}

// PurchaseLicenseCmd buys a licence, capped at --max-price.
func PurchaseLicenseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "purchase-license [dataset-id] [offer-index]",
		Short: "Buy a licence under one of a dataset's offers (index from 0), paying at most --max-price",
		Long: "Buy a licence. The purchase carries max_price: it is refused, and costs nothing, if the offer's price\n" +
			"is higher when it executes. Without --max-price the command queries the offer and caps at its current price.",
		Example: "aichaind tx datamarket purchase-license 1 0 --from bob\n" +
			"aichaind tx datamarket purchase-license 1 0 --max-price 1000uaic --from bob",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("dataset id %q: %w", args[0], err)
			}
			index, err := strconv.ParseUint(args[1], 10, 32)
			if err != nil {
				return fmt.Errorf("offer index %q: %w", args[1], err)
			}
			offer, err := queriedOffer(clientCtx, func() (types.LicenseOffer, error) {
				res, err := types.NewQueryClient(clientCtx).Dataset(cmd.Context(), &types.QueryDatasetRequest{Id: id})
				if err != nil {
					return types.LicenseOffer{}, err
				}
				if index >= uint64(len(res.Dataset.Offers)) {
					return types.LicenseOffer{}, fmt.Errorf("dataset %d has %d offers, no index %d", id, len(res.Dataset.Offers), index)
				}
				return res.Dataset.Offers[index], nil
			})
			if err != nil {
				return err
			}
			max, err := maxPrice(cmd, fmt.Sprintf("dataset %d offer %d", id, index), offer)
			if err != nil {
				return err
			}
			// The offer as queried: the purchase fails, costing nothing, if
			// the owner changes its kind, term or transferability first.
			msg := &types.MsgPurchaseLicense{Buyer: clientCtx.GetFromAddress().String(), DatasetId: id, OfferIndex: uint32(index), MaxPrice: max, ExpectedOffer: offer}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	addMaxPriceFlag(cmd)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// RenewLicenseCmd renews a licence under the dataset's current offer of its
// kind, capped at --max-price.
func RenewLicenseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "renew-license [license-id]",
		Short: "Renew a RENTAL or SUBSCRIPTION licence for one term of the dataset's current offer, paying at most --max-price",
		Long: "Renew a licence under the dataset's current offer of its kind (today's price and term, not the old ones).\n" +
			"The expiry may run at most max_term_blocks ahead. Without --max-price the command caps at the offer's current price.",
		Example: "aichaind tx datamarket renew-license 1 --from bob\naichaind tx datamarket renew-license 1 --max-price 1000uaic --from bob",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("licence id %q: %w", args[0], err)
			}
			offer, err := queriedOffer(clientCtx, func() (types.LicenseOffer, error) {
				q := types.NewQueryClient(clientCtx)
				l, err := q.License(cmd.Context(), &types.QueryLicenseRequest{Id: id})
				if err != nil {
					return types.LicenseOffer{}, err
				}
				d, err := q.Dataset(cmd.Context(), &types.QueryDatasetRequest{Id: l.License.DatasetId})
				if err != nil {
					return types.LicenseOffer{}, err
				}
				_, offer, err := types.RenewalOffer(d.Dataset, l.License)
				return offer, err
			})
			if err != nil {
				return err
			}
			max, err := maxPrice(cmd, fmt.Sprintf("licence %d's renewal", id), offer)
			if err != nil {
				return err
			}
			msg := renewMsg(clientCtx.GetFromAddress().String(), id, max, offer)
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	addMaxPriceFlag(cmd)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// renewMsg is the renewal of licence id under offer, as queried (nil
// offline): it fails, costing nothing, if the owner shortens the term or
// withdraws transferability before it executes.
func renewMsg(licensee string, id uint64, max sdk.Coin, offer *types.LicenseOffer) *types.MsgRenewLicense {
	msg := &types.MsgRenewLicense{Licensee: licensee, LicenseId: id, MaxPrice: max}
	if offer != nil {
		msg.MinTermBlocks, msg.RequireTransferable = offer.Term(), offer.Transferable
	}
	return msg
}

// UpdateDatasetSharesCmd replaces a dataset's revenue shares.
func UpdateDatasetSharesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "update-dataset-shares [dataset-id] [address:weight]...",
		Short:   "Replace a dataset's revenue shares (owner only; no module account)",
		Example: "aichaind tx datamarket update-dataset-shares 1 aic1alice...:3 aic1carol...:1 --from alice",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("dataset id %q: %w", args[0], err)
			}
			shares := make([]common.Share, 0, len(args)-1)
			for _, a := range args[1:] {
				sh, err := ParseShare(a)
				if err != nil {
					return err
				}
				shares = append(shares, sh)
			}
			msg := &types.MsgUpdateDatasetShares{Owner: clientCtx.GetFromAddress().String(), DatasetId: id, Shares: shares}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}
