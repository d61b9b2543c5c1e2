package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// phase pre-signs the messages msgs gives each account (one message per
// tx), broadcasts them from all accounts at once, reads the blocks until
// they are all committed, and measures the kind from those blocks and the
// node's timings around them.
func (r *chainRun) phase(ctx context.Context, kind string, msgs func(i int) []sdk.Msg) (kindResult, []blockInfo, error) {
	per, total, err := r.presign(ctx, kind, msgs)
	if err != nil {
		return kindResult{}, nil, err
	}
	idle, err := r.blocks.readTo(ctx)
	if err != nil {
		return kindResult{}, nil, err
	}
	r.res.addBlocks("", idle) // made between phases
	before, err := scrapeTimings(ctx, r.nw.metricsURL(), r.nw.node.cmd.Process.Pid)
	if err != nil {
		return kindResult{}, nil, fmt.Errorf("node metrics: %w", err)
	}
	prev := r.blocks.blocks[len(r.blocks.blocks)-1:]
	wait := r.profile(ctx, kind)
	out := broadcast(ctx, r.svc, per, time.Now().Add(r.o.phaseTime))
	want := make(map[string]bool, len(out.accepted))
	for _, h := range out.accepted {
		want[h] = true
	}
	// Read the blocks (large JSON the node renders) only once the node has
	// made them all, and take the node's timings before: the reading
	// then neither slows the blocks nor counts as their cost.
	if err := r.blocks.drained(ctx, time.Minute); err != nil {
		wait()
		return kindResult{}, nil, err
	}
	after, err := scrapeTimings(ctx, r.nw.metricsURL(), r.nw.node.cmd.Process.Pid)
	if err != nil {
		wait()
		return kindResult{}, nil, fmt.Errorf("node metrics: %w", err)
	}
	blocks, err := r.blocks.waitFor(ctx, want, 20*time.Second)
	wait()
	if err != nil {
		return kindResult{}, blocks, err
	}
	res := measure(kind, want, append(prev, blocks...), after.sub(before))
	res.Signed, res.Rejected, res.FirstError = total, out.rejected, out.firstErr
	res.Lost = len(want) - res.Committed
	fmt.Printf("%-26s signed %5d  CheckTx refused %4d  accepted, not committed %d  committed %5d (failed %d) in %d blocks, %.1f s: %.0f tx/s (steady %.0f over %d blocks), gas %.0f; per tx: node CPU %.0f µs, FinalizeBlock %.0f µs\n",
		kind, total, out.rejected, res.Lost, res.Committed, res.Failed, res.Blocks, res.Seconds, res.TxPerSec, res.SteadyTxPerSec, res.SteadyBlocks,
		res.GasMean, res.CPUMicros, res.FinalizeMicros)
	for _, e := range []string{res.FirstError, res.FirstFailure} {
		if e != "" {
			fmt.Printf("    first error: %.300s\n", e)
		}
	}
	if out.rejected > 0 || total > res.Committed {
		// Some sequences were not used (refused, not committed, or not sent
		// before the phase's time ran out): read them back from the node.
		err = refresh(ctx, r.auth, r.signers(kind))
	}
	if !isSetup(kind) {
		r.res.Intervals = append(r.res.Intervals, loadedIntervals(append(prev, blocks...), want)...)
		r.res.addBlocks(kind, blocks)
	}
	return res, blocks, err
}

// presign signs every account's txs of kind, accounts in parallel, with
// the gas limit a wallet would set (see gasFor).
func (r *chainRun) presign(ctx context.Context, kind string, msgs func(i int) []sdk.Msg) ([][]signed, int, error) {
	accs := r.signers(kind)
	all := make([][]sdk.Msg, len(accs))
	for i := range accs {
		all[i] = msgs(i)
	}
	gas, err := r.gasFor(ctx, kind, accs[0], all)
	if err != nil {
		return nil, 0, err
	}
	per := make([][]signed, len(accs))
	errs := make([]error, len(accs))
	var wg sync.WaitGroup
	for i, a := range accs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, m := range all[i] {
				bz, hash, err := r.sg.sign(a, gas, m)
				if err != nil {
					errs[i] = fmt.Errorf("sign %s: %w", kind, err)
					return
				}
				per[i] = append(per[i], signed{bytes: bz, hash: hash})
			}
		}()
	}
	wg.Wait()
	total := 0
	for i := range per {
		if errs[i] != nil {
			return nil, 0, errs[i]
		}
		total += len(per[i])
	}
	return per, total, nil
}

// gasFor is the gas limit kind's txs are signed with: a simulation of the
// first account's (first's) first message, times 1.3 plus 5,000, as a wallet sets
// it, so that gas wanted (what a proposer's gas budget counts) is close to
// gas used.
func (r *chainRun) gasFor(ctx context.Context, kind string, first *account, all [][]sdk.Msg) (uint64, error) {
	if len(all) == 0 || len(all[0]) == 0 {
		return gasLimit(kind), nil
	}
	txb, err := r.sg.unsigned(first, gasLimit(kind), all[0][0])
	if err != nil {
		return 0, err
	}
	bz, err := r.sg.enc.TxConfig.TxEncoder()(txb.GetTx())
	if err != nil {
		return 0, err
	}
	res, err := r.svc.Simulate(ctx, &txtypes.SimulateRequest{TxBytes: bz})
	if err != nil {
		return 0, fmt.Errorf("simulate %s: %w", kind, err)
	}
	return res.GasInfo.GasUsed*13/10 + 5_000, nil
}

// loadedIntervals returns the intervals (s) before each block that holds
// one of the hashes: the block intervals under load.
func loadedIntervals(blocks []blockInfo, hashes map[string]bool) []float64 {
	var out []float64
	for i := 1; i < len(blocks); i++ {
		for _, t := range blocks[i].Txs {
			if hashes[t.Hash] {
				out = append(out, blocks[i].Time.Sub(blocks[i-1].Time).Seconds())
				break
			}
		}
	}
	return out
}
