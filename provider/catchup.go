package provider

import "github.com/aichain/aichain/chainclient"

// catchUp returns b merged with every block already waiting behind it in
// blocks, so that the step runs at the newest height the agent has seen.
// A step that outlasts a block (a flood of open jobs makes each listing
// use its whole wait, and blocks of 2 s or less are shorter than that wait)
// left the blocks that came meanwhile in the buffer, and each was then
// stepped in turn at its own, older height: the agent fell further behind
// at every step and revealed (or learnt that the reveal phase had begun)
// only after the chain had left it, forfeiting the bid's deposit
// (TestAttackOpenJobFloodLagsTheRevealPastItsWindow). The merged block has
// the newest height and time, the events and txs of all in height order,
// and is Full only if all are; a refresh of the params that one of them was
// due for is kept (paramsDue).
func (a *Agent) catchUp(b chainclient.Block, blocks <-chan chainclient.Block) chainclient.Block {
	for {
		select {
		case next, ok := <-blocks:
			if !ok {
				return b // the loop's next receive sees the channel closed
			}
			if b.Height%100 == 0 {
				a.paramsDue = true
			}
			b = mergeBlocks(b, next)
		default:
			return b
		}
	}
}

// mergeBlocks returns older with newer merged in, at newer's height: it
// grows older's events and txs in place (the agent owns them), since a copy
// of all merged so far at each merge cost the square of the backlog
// (TestAttackCatchUpCopiesEveryBlockAgainAtEachMerge: 829 MiB for 256
// blocks of 200 txs).
func mergeBlocks(older, newer chainclient.Block) chainclient.Block {
	m := older
	m.Height, m.Time, m.Full = newer.Height, newer.Time, older.Full && newer.Full
	m.Events = append(m.Events, newer.Events...)
	if len(newer.Txs) > 0 && m.Txs == nil {
		m.Txs = make(map[string]uint32, len(newer.Txs))
	}
	for hash, code := range newer.Txs {
		m.Txs[hash] = code
	}
	return m
}
