package provider

// A fake node for the attack tests on the agent's txs (attack_sequence_test.go,
// attack_restart_test.go): a real gRPC server on 127.0.0.1 (the tx
// service and auth's AccountInfo, what chainclient.Client signs and sends
// through) and, in process, the compute queries the agent makes. It keeps the
// one account's sequence as a node does: AccountInfo reads the last block's
// state (committed), while Simulate and CheckTx run on the check state, which
// counts the account's txs already in the mempool (check). A bank send from
// the account (chainclient's sequence canary) simulates whenever the
// sequence is right.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

type auditTx struct {
	hash string
	msgs []sdk.Msg
}

type auditNode struct {
	txtypes.UnimplementedServiceServer
	authtypes.UnimplementedQueryServer

	addr   string
	decode sdk.TxDecoder
	listen string
	keyDir string

	mu        sync.Mutex
	committed uint64 // the account's sequence in the last block
	check     uint64 // committed + the account's txs in the mempool
	mempool   []auditTx
	landed    map[string]bool
	jobs      map[uint64]computetypes.Job
	commits   map[uint64]computetypes.BidCommit // this provider's commitment per job
	cancelled map[uint64]bool                   // jobs their requester cancelled (cancelJob)
	sent      []sdk.Msg                         // every message accepted into the mempool
	simErrs   []string
	sims      int // every simulation, passed or refused
	// gasPerMsg, when set, is the gas a simulation reports per message
	// (100,000 a tx otherwise).
	gasPerMsg uint64
	// hold, when set, is called in BroadcastTx after the tx is accepted into
	// the mempool and before the answer goes back.
	hold func(ctx context.Context)
	// busy is how many of the next simulations are answered
	// ResourceExhausted, as a node's full simulation queue answers.
	busy int
}

// newAuditNode starts the node, with the services of register beside its
// own, and returns it with a client of a fresh provider key (as a
// restarted process makes one).
func newAuditNode(t *testing.T, register ...func(*grpc.Server)) *auditNode {
	t.Helper()
	n := &auditNode{landed: map[string]bool{}, jobs: map[uint64]computetypes.Job{}, commits: map[uint64]computetypes.BidCommit{}}
	srv := grpc.NewServer()
	txtypes.RegisterServiceServer(srv, n)
	authtypes.RegisterQueryServer(srv, n)
	for _, r := range register {
		r(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	n.listen = ln.Addr().String()
	n.keyDir = t.TempDir()
	enc, err := chainclient.MakeEncodingConfig()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, n.keyDir, nil, enc.Codec)
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := kr.NewMnemonic("provider", keyring.English, sdk.FullFundraiserPath, "", hd.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		t.Fatal(err)
	}
	n.addr, n.decode = addr.String(), enc.TxConfig.TxDecoder()
	return n
}

// client is a new chain client for the provider key, as a (re)started agent
// opens one.
func (n *auditNode) client(t *testing.T) *chainclient.Client {
	t.Helper()
	c, err := chainclient.New(chainclient.Config{GRPCAddr: n.listen, ChainID: "aichain-local-1", KeyringDir: n.keyDir,
		KeyringBackend: keyring.BackendTest, From: "provider", GasPrices: "0uaic"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// agent is a testAgent that signs and sends through this node.
func (n *auditNode) agent(t *testing.T) *Agent {
	t.Helper()
	a := testAgent(t)
	a.client = n.client(t)
	a.me = a.client.Address().String()
	if a.me != n.addr {
		t.Fatalf("client address %s, key %s", a.me, n.addr)
	}
	a.query = auditQuery{n: n}
	return a
}

func (n *auditNode) txOf(bz []byte) (sdk.Tx, uint64, error) {
	tx, err := n.decode(bz)
	if err != nil {
		return nil, 0, err
	}
	sv, ok := tx.(authsigning.SigVerifiableTx)
	if !ok {
		return nil, 0, fmt.Errorf("not a signed tx")
	}
	sigs, err := sv.GetSignaturesV2()
	if err != nil || len(sigs) != 1 {
		return nil, 0, fmt.Errorf("signatures: %v", err)
	}
	return tx, sigs[0].Sequence, nil
}

// refusal is why the chain would refuse msg now (the keeper's checks the
// agent can trip over), or "".
func (n *auditNode) refusal(msg sdk.Msg) string {
	switch m := msg.(type) {
	case *banktypes.MsgSend: // chainclient's canary: the account's own funds, which it holds
		if m.FromAddress != n.addr {
			return sdkerrors.ErrUnauthorized.Wrapf("send from %s, signed by %s", m.FromAddress, n.addr).Error()
		}
	case *computetypes.MsgCommitBid:
		if _, ok := n.commits[m.JobId]; ok {
			return computetypes.ErrBidExists.Wrapf("job %d, provider %s", m.JobId, m.Provider).Error()
		}
		if n.cancelled[m.JobId] {
			return computetypes.ErrCommitWindowClosed.Wrapf("job %d is cancelled", m.JobId).Error()
		}
	case *computetypes.MsgRevealBid:
		c, ok := n.commits[m.JobId]
		switch {
		case !ok:
			return computetypes.ErrBidNotFound.Wrapf("job %d", m.JobId).Error()
		case c.Revealed:
			return computetypes.ErrAlreadyRevealed.Wrapf("job %d, provider %s", m.JobId, m.Provider).Error()
		}
	}
	return ""
}

func (n *auditNode) Simulate(_ context.Context, req *txtypes.SimulateRequest) (*txtypes.SimulateResponse, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	tx, seq, err := n.txOf(req.TxBytes)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	n.sims++
	if n.busy > 0 {
		n.busy--
		return nil, status.Error(codes.ResourceExhausted, "too many simulations waiting")
	}
	fail := func(msg string) error {
		n.simErrs = append(n.simErrs, msg)
		return status.Errorf(codes.Unknown, "%s with gas used: '0'", msg)
	}
	if seq != n.check {
		return nil, fail(sdkerrors.ErrWrongSequence.Wrapf("account sequence mismatch, expected %d, got %d", n.check, seq).Error())
	}
	for _, m := range tx.GetMsgs() {
		if why := n.refusal(m); why != "" {
			return nil, fail(why)
		}
	}
	gas := uint64(100_000)
	if n.gasPerMsg > 0 {
		gas = n.gasPerMsg * uint64(len(tx.GetMsgs()))
	}
	return &txtypes.SimulateResponse{GasInfo: &sdk.GasInfo{GasUsed: gas}, Result: &sdk.Result{}}, nil
}

func (n *auditNode) BroadcastTx(ctx context.Context, req *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	n.mu.Lock()
	tx, seq, err := n.txOf(req.TxBytes)
	if err != nil {
		n.mu.Unlock()
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	sum := sha256.Sum256(req.TxBytes)
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	if seq != n.check {
		n.mu.Unlock()
		return &txtypes.BroadcastTxResponse{TxResponse: &sdk.TxResponse{TxHash: hash, Code: sdkerrors.ErrWrongSequence.ABCICode(),
			Codespace: sdkerrors.ErrWrongSequence.Codespace(), RawLog: fmt.Sprintf("account sequence mismatch, expected %d, got %d", n.check, seq)}}, nil
	}
	n.check++
	n.mempool = append(n.mempool, auditTx{hash: hash, msgs: tx.GetMsgs()})
	n.sent = append(n.sent, tx.GetMsgs()...)
	hold := n.hold
	n.mu.Unlock()
	if hold != nil {
		hold(ctx)
	}
	return &txtypes.BroadcastTxResponse{TxResponse: &sdk.TxResponse{TxHash: hash}}, nil
}

func (n *auditNode) GetTx(_ context.Context, req *txtypes.GetTxRequest) (*txtypes.GetTxResponse, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.landed[req.Hash] {
		return nil, status.Error(codes.NotFound, "tx not found")
	}
	return &txtypes.GetTxResponse{TxResponse: &sdk.TxResponse{TxHash: req.Hash}}, nil
}

func (n *auditNode) AccountInfo(_ context.Context, req *authtypes.QueryAccountInfoRequest) (*authtypes.QueryAccountInfoResponse, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return &authtypes.QueryAccountInfoResponse{Info: &authtypes.BaseAccount{Address: req.Address, AccountNumber: 3, Sequence: n.committed}}, nil
}

// pending puts k txs of this account that the test does not model into the
// mempool (sent by the agent's previous process, say).
func (n *auditNode) pending(k int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := 0; i < k; i++ {
		n.mempool = append(n.mempool, auditTx{hash: fmt.Sprintf("EARLIER%d", i)})
		n.check++
	}
}

// land puts every tx of the mempool in a block, each message the chain
// refuses left out of its tx.
func (n *auditNode) land() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, tx := range n.mempool {
		n.apply(tx)
	}
	n.mempool = nil
}

// landBlock puts every tx of the mempool in a block as the chain runs a
// tx, whole or not at all: one message the chain refuses now fails the tx
// (its sequence spent, none of its messages applied). It returns the
// block's txs by hash with their codes, as chainclient.Block has them.
func (n *auditNode) landBlock() map[string]uint32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	codes := map[string]uint32{}
	for _, tx := range n.mempool {
		if slices.ContainsFunc(tx.msgs, func(m sdk.Msg) bool { return n.refusal(m) != "" }) {
			codes[tx.hash] = computetypes.ErrCommitWindowClosed.ABCICode() // which error does not matter to the agent
			n.landed[tx.hash] = true
			n.committed++
			continue
		}
		codes[tx.hash] = 0
		n.apply(tx)
	}
	n.mempool = nil
	return codes
}

// apply lands tx: its messages the chain takes now.
func (n *auditNode) apply(tx auditTx) {
	for _, m := range tx.msgs {
		if n.refusal(m) != "" {
			continue
		}
		switch m := m.(type) {
		case *computetypes.MsgCommitBid:
			n.commits[m.JobId] = computetypes.BidCommit{JobId: m.JobId, Provider: m.Provider, Commitment: m.Commitment}
		case *computetypes.MsgRevealBid:
			c := n.commits[m.JobId]
			c.Revealed = true
			n.commits[m.JobId] = c
		}
	}
	n.landed[tx.hash] = true
	n.committed++
}

// cancelJob is the requester's MsgCancelJob of job id in the next block,
// ahead of the mempool's txs: a commitment on the job fails from then on.
func (n *auditNode) cancelJob(id uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cancelled == nil {
		n.cancelled = map[uint64]bool{}
	}
	n.cancelled[id] = true
	j := n.jobs[id]
	j.State = computetypes.JobState_JOB_STATE_CANCELLED
	n.jobs[id] = j
}

// sentMsgs returns the messages accepted into the mempool of the given
// type for job id.
func (n *auditNode) sentFor(id uint64) (commits, reveals int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range n.sent {
		switch m := m.(type) {
		case *computetypes.MsgCommitBid:
			if m.JobId == id {
				commits++
			}
		case *computetypes.MsgRevealBid:
			if m.JobId == id {
				reveals++
			}
		}
	}
	return
}

// simulations is how many simulations the node ran, passed or refused.
func (n *auditNode) simulations() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sims
}

func (n *auditNode) setJob(j computetypes.Job) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.jobs[j.Id] = j
}

// auditQuery answers the compute queries the agent makes from the node's
// state, in process.
type auditQuery struct {
	computetypes.QueryClient
	n *auditNode
}

func (q auditQuery) Job(_ context.Context, in *computetypes.QueryJobRequest, _ ...grpc.CallOption) (*computetypes.QueryJobResponse, error) {
	q.n.mu.Lock()
	defer q.n.mu.Unlock()
	j, ok := q.n.jobs[in.JobId]
	if !ok {
		return nil, status.Error(codes.NotFound, "no such job")
	}
	return &computetypes.QueryJobResponse{Job: j}, nil
}

func (q auditQuery) Jobs(_ context.Context, in *computetypes.QueryJobsRequest, _ ...grpc.CallOption) (*computetypes.QueryJobsResponse, error) {
	q.n.mu.Lock()
	defer q.n.mu.Unlock()
	var out []computetypes.Job
	for _, j := range q.n.jobs {
		if j.State == in.State {
			out = append(out, j)
		}
	}
	return &computetypes.QueryJobsResponse{Jobs: out}, nil
}

func (q auditQuery) Provider(_ context.Context, in *computetypes.QueryProviderRequest, _ ...grpc.CallOption) (*computetypes.QueryProviderResponse, error) {
	return &computetypes.QueryProviderResponse{Provider: computetypes.Provider{Address: in.Address,
		Bond: sdk.NewInt64Coin("uaic", 1_000_000_000_000), Locked: sdk.NewInt64Coin("uaic", 0),
		Status: computetypes.ProviderStatus_PROVIDER_STATUS_ACTIVE}}, nil
}

func (q auditQuery) Bids(_ context.Context, in *computetypes.QueryBidsRequest, _ ...grpc.CallOption) (*computetypes.QueryBidsResponse, error) {
	q.n.mu.Lock()
	defer q.n.mu.Unlock()
	res := &computetypes.QueryBidsResponse{}
	if c, ok := q.n.commits[in.JobId]; ok {
		res.Commits = append(res.Commits, c)
	}
	return res, nil
}
