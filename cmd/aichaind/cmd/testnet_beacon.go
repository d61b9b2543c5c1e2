package cmd

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/ve"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// beaconEntry is a node's beacon key as genesis registers it.
type beaconEntry = computetypes.GenesisBeaconKey

// initBeaconKey creates the node's beacon key (config/beacon_key.json,
// mode 0600) and its genesis entry with a proof of possession for the
// node's validator, so that the network samples from the beacon from its
// first blocks.
func initBeaconKey(chainID, home string, val sdk.ValAddress) (beaconEntry, error) {
	signer, err := ve.GenerateBeaconKey(filepath.Join(home, ve.BeaconKeyFile))
	if err != nil {
		return beaconEntry{}, fmt.Errorf("beacon key: %w", err)
	}
	return beaconEntry{
		ValidatorAddress: val.String(), Pubkey: signer.PubKey(),
		ProofOfPossession: signer.ProofOfPossession(chainID, val.String()),
	}, nil
}

// addBeaconKeys puts the nodes' beacon keys into x/compute's genesis.
func addBeaconKeys(cdc codec.JSONCodec, appState map[string]json.RawMessage, nodes []nodeInfo) {
	var gs computetypes.GenesisState
	cdc.MustUnmarshalJSON(appState[computetypes.ModuleName], &gs)
	for _, n := range nodes {
		if len(n.beacon.Pubkey) > 0 {
			gs.BeaconKeys = append(gs.BeaconKeys, n.beacon)
		}
	}
	appState[computetypes.ModuleName] = cdc.MustMarshalJSON(&gs)
}
