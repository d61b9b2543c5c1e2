package chainclient

import (
	"context"
	"errors"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app/params"
)

// The account sequence. A node checks a tx's sequence against its check
// state: the last block's state and the account's txs already in its
// mempool. The client reads the account from the last block (AccountInfo),
// so a client started while txs of the same key wait in the mempool (an
// agent restarted quicker than a block, an operator's tx) reads a sequence
// behind the one the node expects; and a node that loses its mempool (a
// restart, an eviction) after accepting the client's txs expects a sequence
// behind the client's. Either way the node refuses every tx the client
// signs: in CheckTx with the SDK's ErrWrongSequence (codespace sdk, code
// 32), and in a simulation with a gRPC error that carries no code at all
// (x/auth/tx's Simulate wraps every failure in codes.Unknown and a text).
//
// So the sequence is checked apart from the messages, by what the node
// accepts, never by the words of an error: with a canary, a message the
// chain takes whenever the sequence is right (a bank send of 1 unit of the
// fee denom from the client's address to itself), simulated alone. A
// refused simulation of messages at the client's sequence is a refusal of
// the messages (ErrSimulation) when the canary simulates at that sequence
// (checked once, until the account is read again, a tx is accepted or
// RecheckSequence is called). When the canary is refused too, the client
// re-reads the account and simulates the canary at the last block's
// sequence and up to maxSequenceProbes after it: the first the node takes
// is the one it expects, and the client holds it from then on; the
// messages are simulated there once more (refused: ErrSimulation; else a
// *SequenceError naming it). When no sequence takes the canary, the answer
// is a *SequenceError with Found false: the sequence is unknown (a backlog
// beyond the window), to re-sync and retry later, never a refusal of the
// messages. A refused batch costs its bisection plus one canary, however
// many halves are refused.

// maxSequenceProbes bounds the sequences after the last block's that the
// canary is tried at: the txs of this account a restart can find waiting
// in the mempool. A larger backlog is found once enough of it is in blocks.
const maxSequenceProbes = 16

// SequenceError is a tx refused for its account sequence (ErrWrongSequence).
type SequenceError struct {
	// Used is the sequence the tx was signed or simulated with.
	Used uint64
	// Expected is the sequence the node expects (the canary simulates at
	// it), when Found; not Found: no sequence within maxSequenceProbes of
	// the last block's takes the canary — re-sync and try again later.
	Expected uint64
	Found    bool
	// Log is CheckTx's log, when CheckTx refused the tx.
	Log string
	// base is the client's sequence when Expected was found: Resync takes
	// Expected only if nothing was sent since.
	base uint64
	// fromCheckTx: CheckTx refused the tx; the canary has not looked for
	// the sequence yet.
	fromCheckTx bool
}

func (e *SequenceError) Error() string {
	msg := fmt.Sprintf("%v: signed with %d", ErrWrongSequence, e.Used)
	if e.Found {
		msg += fmt.Sprintf(", the node expects %d", e.Expected)
	} else {
		msg += fmt.Sprintf(", the node takes none of the last block's sequence to %d after it", maxSequenceProbes)
	}
	if e.Log != "" {
		msg += ": " + e.Log
	}
	return msg
}

// Is makes errors.Is(err, ErrWrongSequence) hold.
func (e *SequenceError) Is(target error) bool { return target == ErrWrongSequence }

// canary is a message the chain takes whenever the sequence is right: 1
// unit of the fee denom (the gas price's; else the bond denom, the only
// one the app takes fees in) sent from the client's address to itself.
func (c *Client) canary() sdk.Msg {
	denom := params.BondDenom
	if len(c.gasPrice) > 0 {
		denom = c.gasPrice[0].Denom
	}
	addr := c.addr.String()
	return &banktypes.MsgSend{FromAddress: addr, ToAddress: addr, Amount: sdk.NewCoins(sdk.NewInt64Coin(denom, 1))}
}

// simulateChecked simulates msgs at the client's sequence. A refusal is
// ErrSimulation when the sequence is right (the canary simulates at it); a
// *SequenceError when it is not.
func (c *Client) simulateChecked(ctx context.Context, msgs []sdk.Msg) (uint64, error) {
	gas, err := c.simulateAt(ctx, c.seq, msgs)
	if err == nil {
		c.seqChecked = true
		return gas, nil
	}
	if !errors.Is(err, ErrSimulation) || c.seqChecked {
		return 0, err
	}
	used := c.seq
	if _, cerr := c.simulateAt(ctx, used, []sdk.Msg{c.canary()}); cerr == nil {
		c.seqChecked = true
		return 0, err
	} else if !errors.Is(cerr, ErrSimulation) {
		return 0, cerr
	}
	found, ferr := c.findSequence(ctx, used)
	if ferr != nil {
		return 0, ferr
	}
	if !found {
		return 0, &SequenceError{Used: used}
	}
	if _, err := c.simulateAt(ctx, c.seq, msgs); err != nil {
		return 0, err // the sequence is right now: the messages are refused
	}
	return 0, &SequenceError{Used: used, Expected: c.seq, Found: true, base: c.seq}
}

// findSequence re-reads the account (the last block's sequence) and
// simulates the canary at it and the maxSequenceProbes sequences after it,
// used excepted (refused already): the first the node takes is the one its
// check state expects, and the client holds it. found false: none of them
// (the client holds the last block's sequence, unchecked).
func (c *Client) findSequence(ctx context.Context, used uint64) (found bool, err error) {
	if err := c.refreshAccount(ctx); err != nil {
		return false, err
	}
	canary := []sdk.Msg{c.canary()}
	for s, last := c.seq, c.seq+maxSequenceProbes; s <= last; s++ {
		if s == used {
			continue
		}
		_, err := c.simulateAt(ctx, s, canary)
		if err == nil {
			c.seq, c.seqChecked = s, true
			return true, nil
		}
		if !errors.Is(err, ErrSimulation) {
			return false, err
		}
	}
	return false, nil
}

// realign takes the sequence the node expects after err, a refusal of a tx
// for its sequence (from CheckTx: found with the canary); it reports
// whether the client now holds it.
func (c *Client) realign(ctx context.Context, err error) bool {
	var se *SequenceError
	if !errors.As(err, &se) {
		return false
	}
	if se.Found || !se.fromCheckTx {
		return c.adopt(se)
	}
	found, ferr := c.findSequence(ctx, se.Used)
	return ferr == nil && found
}

// adopt takes the sequence se found, if the client has sent nothing since.
func (c *Client) adopt(se *SequenceError) bool {
	if !se.Found || c.seq != se.base {
		return false
	}
	c.seq, c.seqChecked = se.Expected, true
	return true
}

// Resync re-aligns the client's sequence after cause, an error of Simulate
// or Send: a *SequenceError that names the sequence the node expects is
// taken (if nothing was sent since); anything else (nil included, and a
// *SequenceError that found none) re-reads the account from the node, and
// the next refused simulation checks the sequence with the canary.
func (c *Client) Resync(ctx context.Context, cause error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var se *SequenceError
	if errors.As(cause, &se) && c.adopt(se) {
		return nil
	}
	return c.refreshAccount(ctx)
}

// RecheckSequence makes the next refused simulation check the sequence
// with the canary again, though it was checked since the last account read
// or accepted tx: a node can lose its mempool at any time. A sender calls
// it once per round of sends (a block's), so that the canary's word is
// never taken for longer.
func (c *Client) RecheckSequence() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seqChecked = false
}
