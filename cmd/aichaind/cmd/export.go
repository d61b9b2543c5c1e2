package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client/flags"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
)

// exportABCI is what `aichaind export` keeps of the exported chain's ABCI
// consensus params. The SDK's export command writes the consensus params
// through genutil NewConsensusGenesis, which copies the block, evidence and
// validator params and drops the ABCI ones: an unedited export restarted a
// chain with vote_extensions_enable_height 0, so with no vote extensions,
// hence no sampling beacon and no verdicts (every job under check timed
// out unverified). appExport records them here, and the export command's
// wrapper (keepVoteExtensions) writes them back into the genesis it wrote.
type exportABCI struct {
	recorded   bool
	enable     int64 // the exported chain's vote_extensions_enable_height
	lastHeight int64 // the height exported from
	zeroHeight bool
}

// record keeps what an export needs from the exported app.
func (e *exportABCI) record(exported servertypes.ExportedApp, lastHeight int64, forZeroHeight bool) {
	e.recorded, e.lastHeight, e.zeroHeight = true, lastHeight, forZeroHeight
	if exported.ConsensusParams.Abci != nil {
		e.enable = exported.ConsensusParams.Abci.VoteExtensionsEnableHeight
	}
}

// enableHeight is the vote_extensions_enable_height of the restarted chain:
// the exported one; for a zero-height export, whose heights restart at 1,
// that height shifted as the modules shift theirs (minus the height
// exported from), at least 1 (already enabled stays enabled). 0 stays 0.
func (e *exportABCI) enableHeight() int64 {
	if e.enable <= 0 || !e.zeroHeight {
		return e.enable
	}
	return max(1, e.enable-e.lastHeight)
}

// keepVoteExtensions wraps root's export command so that the genesis it
// writes (to --output-document, or stdout) keeps the exported chain's vote
// extensions (exportABCI).
func keepVoteExtensions(root *cobra.Command, e *exportABCI) error {
	cmd, _, err := root.Find([]string{"export"})
	if err != nil || cmd == nil || cmd.Name() != "export" || cmd.RunE == nil {
		return fmt.Errorf("no export command to wrap: %v", err)
	}
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		doc, _ := c.Flags().GetString(flags.FlagOutputDocument)
		stdout := c.OutOrStdout()
		var buf bytes.Buffer
		if doc == "" {
			c.SetOut(&buf)
		}
		err := run(c, args)
		c.SetOut(stdout)
		if err != nil {
			return err
		}
		if !e.recorded { // the command copied the node's genesis: nothing exported
			_, err := io.Copy(stdout, &buf)
			return err
		}
		if doc != "" {
			g, err := genutiltypes.AppGenesisFromFile(doc)
			if err != nil {
				return err
			}
			setVoteExtensions(g, e.enableHeight())
			return g.SaveAs(doc)
		}
		var g genutiltypes.AppGenesis
		if err := json.Unmarshal(buf.Bytes(), &g); err != nil {
			return fmt.Errorf("exported genesis: %w", err)
		}
		setVoteExtensions(&g, e.enableHeight())
		out, err := json.Marshal(&g)
		if err != nil {
			return err
		}
		_, err = stdout.Write(out)
		return err
	}
	return nil
}

// setVoteExtensions sets g's vote_extensions_enable_height.
func setVoteExtensions(g *genutiltypes.AppGenesis, height int64) {
	if g.Consensus != nil && g.Consensus.Params != nil {
		g.Consensus.Params.ABCI.VoteExtensionsEnableHeight = height
	}
}
