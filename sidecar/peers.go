package sidecar

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	gogogrpc "github.com/cosmos/gogoproto/grpc"

	"github.com/aichain/aichain/chainclient/bonded"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Sidecars serve each other the weights they verified.
//
// When a model's uri is taken down after a job's award (by a requester
// that owns the model: it then holds the result and wants its escrow back),
// every validator's sidecar asks the job's provider for the weights, and
// the provider alone must send V × W bytes within the unavailable span: 100
// validators × 1 GiB over 1 Gbit/s take about 860 s against a span of about
// 2 minutes, and past 1/3 of the power voting UNAVAILABLE the honest
// provider forfeits its collateral
// (TestAttackModelTakenDownProviderCannotUploadToEveryValidatorInTheSpan).
// Weights are checked against their on-chain sha256, so any holder may
// serve them: a sidecar that has them in its disk cache serves them to the
// other bonded validators' sidecars (WeightsServer, at the URL its
// validator registers on chain with MsgSetVerifierEndpoint), and a sidecar
// the provider does not serve asks those (Config.Peers). Each that has the
// weights is one more sender, so the senders double with every transfer
// time and V validators are served in about log₂ V of them.

// Bounds on the weights a sidecar sends other sidecars at once: its own
// checks come first, so fewer than a provider's eight.
const (
	maxPeerTransfers          = 4
	maxPeerTransfersPerSigner = 1
)

// peerStall is how long a sidecar may take nothing of a weights transfer
// before it is dropped and its slot freed, and peerPace the least it must
// take: the pace of a peer's fetch by default (PeerTransferTimeout), which
// cuts a slower transfer anyway. A reader that took a byte per peerStall
// held a slot for the transfer's whole send time (6.3 minutes for 1 GiB),
// and four hostile validators held every slot of every honest sidecar
// (TestAttackFourValidatorsHoldEverySlotOfASidecar); now holding a slot
// costs the file's bandwidth at 16 MiB/s.
// peerHold is how long a request waits for its turn at a slot before it
// is answered busy: short, as a peer walk has other sidecars to ask.
var (
	peerStall = 30 * time.Second
	peerPace  = dataserver.Pace{Grace: jobexec.WeightsGrace, Rate: peerRate}
	peerHold  = 2 * time.Second
)

// peerRate is the rate PeerTransferTimeout's default asks of a peer.
const peerRate = 16 << 20

// WeightsServer serves GET /v1/models/{sha256} (the provider agent's route)
// to the operators of bonded validators: the weights files in this
// sidecar's disk cache, each checked against its name's sha256
// (jobexec.ChainResolver.OpenCachedWeights).
type WeightsServer struct {
	open     func(sha string) (*os.File, error)
	verifier *signedreq.Verifier
	nonces   *signedreq.NonceStore
	xfers    *jobexec.WeightsSlots // transfers under way, their queue and pace
	log      *slog.Logger
	metrics  *Metrics

	mu         sync.RWMutex
	validators map[string]bool // bonded validators' operator accounts
}

// NewWeightsServer returns the weights server of a sidecar whose public base
// URL is url (what its validator registers on chain: requests signed for
// another audience are refused), reading accounts with the bech32 prefix
// prefix and files with open. It serves nobody until SetValidators.
func NewWeightsServer(url, prefix string, open func(sha string) (*os.File, error), log *slog.Logger, m *Metrics) (*WeightsServer, error) {
	aud, err := signedreq.Audience(url)
	if err != nil {
		return nil, err
	}
	return &WeightsServer{open: open, log: log, metrics: m, nonces: &signedreq.NonceStore{}, validators: map[string]bool{},
		xfers:    jobexec.NewWeightsSlots(maxPeerTransfers, maxPeerTransfersPerSigner, peerPace, peerHold),
		verifier: &signedreq.Verifier{Audiences: []string{aud}, Prefix: prefix}}, nil
}

// SetValidators replaces the accounts served (the bonded validators'
// operators, lower-case bech32).
func (s *WeightsServer) SetValidators(accounts map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validators = accounts
}

// Handler serves GET /v1/models/{sha256} and GET /healthz.
func (s *WeightsServer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models/{sha}", s.serve)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return mux
}

// serve checks, in the order that keeps unauthenticated work small: the
// name, the signature (CPU only), that the signer is a bonded validator's
// operator (memory only), the nonce, its turn at a transfer slot
// (jobexec.WeightsSlots, waiting up to peerHold); only then does it open the
// file. A request whose turn does not come is answered 503 with
// Retry-After, as the provider answers.
func (s *WeightsServer) serve(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if b, err := hex.DecodeString(sha); err != nil || len(b) != 32 {
		peerError(w, http.StatusBadRequest, "bad_request", "a model's weights are named by their sha256 in hex")
		return
	}
	signed, err := s.verifier.Verify(r)
	if err != nil && !errors.Is(err, signedreq.ErrFuture) {
		s.refuse(w, err)
		return
	}
	s.mu.RLock()
	validator := signed != nil && s.validators[signed.Address]
	s.mu.RUnlock()
	if !validator {
		peerError(w, http.StatusForbidden, "no_access", "only bonded validators' sidecars read weights here (the model's uri serves everyone)")
		return
	}
	if err != nil { // signed ahead of the clock: its copy is refused as replayed once the clock gets there
		s.nonces.RecordFuture(signed, time.Now(), true)
		s.refuse(w, err)
		return
	}
	if err := s.nonces.UseReserved(signed, time.Now()); err != nil {
		s.refuse(w, err)
		return
	}
	slot, err := s.xfers.Take(w, r, signed.Address, sha)
	var refused *jobexec.SlotRefusal
	if errors.As(err, &refused) {
		status := refused.Status(w)
		if refused.Behind {
			peerError(w, status, "behind_pace", "this validator's transfers here fell behind the pace; ask another sidecar")
			return
		}
		peerError(w, status, "busy", "this sidecar is sending as many weights as it sends at once; ask another")
		return
	}
	if err != nil {
		s.log.Error("weights slot", "sha256", sha, "err", err)
		peerError(w, http.StatusInternalServerError, "internal", "cannot take a weights slot")
		return
	}
	defer slot.Release()
	f, err := s.open(sha)
	if err != nil {
		peerError(w, http.StatusNotFound, "not_found", "this sidecar holds no weights with that sha256")
		return
	}
	defer f.Close()
	if err := slot.Serve(w, r, f, peerStall); err != nil {
		s.log.Error("stat weights", "sha256", sha, "err", err)
		peerError(w, http.StatusInternalServerError, "internal", "cannot read the weights file")
		return
	}
	s.metrics.PeerServed.Inc()
}

func (s *WeightsServer) refuse(w http.ResponseWriter, err error) {
	signedreq.WriteRefusal(w, err, "aichain-sidecar")
}

func peerError(w http.ResponseWriter, code int, kind, msg string) {
	signedreq.WriteError(w, code, kind, msg, "aichain-sidecar")
}

// PeerSet is the other sidecars a sidecar asks for weights: the registered
// endpoints (MsgSetVerifierEndpoint) of bonded validators other than its
// own, as last read from the chain (RefreshPeers).
type PeerSet struct {
	mu        sync.RWMutex
	endpoints []string
}

// Set replaces the endpoints.
func (p *PeerSet) Set(endpoints []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endpoints = endpoints
}

// Endpoints returns the endpoints (a copy: the caller may shuffle it).
func (p *PeerSet) Endpoints() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return append([]string(nil), p.endpoints...)
}

// trimEndpoint is an endpoint without its trailing slashes, as URLs are
// built from it.
func trimEndpoint(e string) string { return strings.TrimRight(e, "/") }

// PeerSource reads, from the chain, the bonded validators' operator
// accounts and the sidecar endpoints their validators registered (by
// operator account).
type PeerSource func(ctx context.Context) (bonded map[string]bool, endpoints map[string]string, err error)

// RefreshPeers reads src every interval until ctx ends, and gives the
// bonded validators to srv (nil: this sidecar serves none) and the endpoints
// of the bonded ones other than self to peers. A failed read keeps the last
// sets.
func RefreshPeers(ctx context.Context, src PeerSource, self string, srv *WeightsServer, peers *PeerSet, interval time.Duration, log *slog.Logger) {
	for {
		if bonded, endpoints, err := src(ctx); err == nil {
			if srv != nil {
				srv.SetValidators(bonded)
			}
			var list []string
			for acc, e := range endpoints {
				if bonded[acc] && acc != self && e != "" {
					list = append(list, trimEndpoint(e))
				}
			}
			peers.Set(list)
		} else if ctx.Err() == nil {
			log.Warn("cannot read the validators' sidecar endpoints; keeping the last set", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// ChainPeers reads a sidecar's peers from its node: the bonded validators
// (x/staking), and the sidecar endpoint each of them registered (x/compute
// VerifierEndpoint, one query per bonded validator), by operator account
// under prefix. Any validator x/staking knows may register one, bonded or
// not, and entries outlive their validators: reading the whole list failed
// past bonded.MaxPages of it, so 10,001 never-bonded validators' entries
// left every sidecar started after them with no peers, serving nobody
// (TestAttackUnbondedEndpointsStopEverySidecarReadingItsPeers). A bonded
// validator whose entry cannot be read is left out of the peers, not the
// read.
func ChainPeers(conn gogogrpc.ClientConn, prefix string) PeerSource {
	staking, compute := stakingtypes.NewQueryClient(conn), computetypes.NewQueryClient(conn)
	return func(ctx context.Context) (map[string]bool, map[string]string, error) {
		accounts, err := bonded.OperatorAccounts(ctx, staking, prefix)
		if err != nil {
			return nil, nil, err
		}
		endpoints := map[string]string{}
		for acc := range accounts {
			_, bz, err := bech32.DecodeAndConvert(acc)
			if err != nil {
				continue
			}
			valoper, err := bech32.ConvertAndEncode(prefix+"valoper", bz)
			if err != nil {
				continue
			}
			res, err := compute.VerifierEndpoint(ctx, &computetypes.QueryVerifierEndpointRequest{ValidatorAddress: valoper})
			if err == nil {
				endpoints[acc] = res.Endpoint.Endpoint
			} else if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
		}
		return accounts, endpoints, nil
	}
}
