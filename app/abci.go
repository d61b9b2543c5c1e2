package app

import (
	"os"
	"path/filepath"

	"github.com/spf13/cast"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/cosmos/cosmos-sdk/baseapp"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"

	"github.com/aichain/aichain/app/ve"
	vetypes "github.com/aichain/aichain/app/ve/types"
)

// setVoteExtensions wires the ABCI++ handlers of package ve: ExtendVote asks
// the sidecar of app.toml's [verifier] section for verdicts,
// VerifyVoteExtension checks their form, the proposal handlers inject and
// check the previous height's extended commit, and the pre-blocker hands the
// verdicts to x/compute. Call it after the keepers and SetPreBlocker.
func (app *App) setVoteExtensions(logger log.Logger, appOpts servertypes.AppOptions) {
	cfg := ve.ReadConfig(appOpts)
	var client ve.VerdictClient
	if cfg.Address != "" {
		c, err := ve.NewGRPCClient(cfg.Address)
		if err != nil {
			logger.Error("verifier sidecar disabled", "address", cfg.Address, "err", err)
		} else {
			client = c
			// Debug, not Info: commands such as export print JSON on stdout, where the logger writes too.
			logger.Debug("verifier sidecar configured", "address", cfg.Address, "timeout", cfg.Timeout)
		}
	}
	vetypes.RegisterMsgServer(app.MsgServiceRouter(), vetypes.Server{})
	voteExt := ve.NewVoteExtHandler(logger, client, cfg.Timeout).WithBeacon(loadBeaconKey(logger, appOpts), app.ComputeKeeper)
	app.SetExtendVoteHandler(ve.WithWrittenFormat(voteExt.ExtendVote()))
	app.SetVerifyVoteExtensionHandler(voteExt.VerifyVoteExtension())

	injections := ve.Injections{TxConfig: app.txConfig}
	defaults := baseapp.NewDefaultProposalHandler(app.Mempool(), app.proposalTxs)
	defaults.SetTxSelector(&budgetSelector{cfg: app.proposer, pace: app.pace})
	proposals := ve.NewProposalHandler(logger, app.StakingKeeper, injections,
		defaults.PrepareProposalHandler(), defaults.ProcessProposalHandler())
	app.SetPrepareProposal(proposals.PrepareProposal())
	app.SetProcessProposal(proposals.ProcessProposal())

	app.SetPreBlocker(ve.NewPreBlocker(logger, app.ComputeKeeper, injections, app.PreBlocker).WithBeacon(app.ComputeKeeper).PreBlock())
}

// loadBeaconKey reads the node's beacon key (config/beacon_key.json under
// its home); without one the validator sends no beacon shares.
func loadBeaconKey(logger log.Logger, appOpts servertypes.AppOptions) *ve.BeaconSigner {
	home := cast.ToString(appOpts.Get(flags.FlagHome))
	if home == "" {
		return nil
	}
	path := filepath.Join(home, ve.BeaconKeyFile)
	signer, err := ve.LoadBeaconKey(path)
	if err != nil {
		if !os.IsNotExist(err) {
			logger.Error("beacon key unreadable: this validator sends no beacon shares", "path", path, "err", err)
		}
		return nil
	}
	return signer
}
