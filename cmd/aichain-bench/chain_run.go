package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
)

// fundEach is what each benchmark account gets from alice (uaic): its
// provider bond, jobs, locks and licences, many times over.
const fundEach = 2_000_000_000

// jobRef is a job the benchmark created.
type jobRef struct {
	id                   uint64
	owner                int // index of the requesting account
	commitEnd, revealEnd int64
}

// chainRun is one run of the chain benchmark against a started node.
type chainRun struct {
	o        *chainOptions
	nw       *network
	alice    *chainclient.Client
	accs     []*account
	claimers []*account // the claim phase's owners (chain_claimers.go)
	sg       signer
	svc      txtypes.ServiceClient
	auth     authtypes.QueryClient
	blocks   *blockReader
	jobs     []jobRef
	datasets []uint64 // ids of the datasets listed, with their owners
	dsOwner  []int
	res      *chainResult
}

func newChainRun(ctx context.Context, o *chainOptions, nw *network) (*chainRun, error) {
	alice, err := chainclient.New(chainclient.Config{GRPCAddr: nw.grpc(), ChainID: "aichain-local-1", KeyringDir: nw.home,
		KeyringBackend: "test", From: "alice", GasPrices: "0uaic", TxTimeout: time.Minute})
	if err != nil {
		return nil, err
	}
	br, err := newBlockReader(nw.rpc())
	if err != nil {
		return nil, errors.Join(err, alice.Close())
	}
	r := &chainRun{
		o: o, nw: nw, alice: alice, accs: newAccounts(o.accounts),
		sg:  signer{chainID: "aichain-local-1", enc: alice.Enc},
		svc: txtypes.NewServiceClient(alice.Conn), auth: authtypes.NewQueryClient(alice.Conn), blocks: br,
		res: &chainResult{Date: time.Now().UTC().Format("2006-01-02"), Machine: machine(), Accounts: o.accounts,
			PerAccount: o.perAccount, BlockTime: o.blockTime.String(), options: o},
	}
	if br.next, err = br.latest(ctx); err != nil {
		return nil, errors.Join(err, alice.Close())
	}
	return r, nil
}

func (r *chainRun) close() { _ = r.alice.Close() }

// machine describes the host: CPU count and model.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d cores, %s, %s/%s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH)
}

// run funds the accounts, sets up what the kinds need and measures each
// kind in turn; on an error it returns what it measured so far.
func (r *chainRun) run(ctx context.Context) (*chainResult, error) {
	if err := fund(ctx, r.alice, r.accs, fundEach); err != nil {
		return nil, fmt.Errorf("fund %d accounts from alice: %w", len(r.accs), err)
	}
	if err := refresh(ctx, r.auth, r.accs); err != nil {
		return nil, err
	}
	fmt.Printf("funded %d accounts\n", len(r.accs))
	if err := r.setup(ctx); err != nil {
		return r.res, err
	}
	for _, kind := range r.o.kinds {
		if err := r.before(ctx, kind); err != nil {
			return r.res, err
		}
		var paired *kindResult
		if kind != kindSend {
			// A bank send phase right before each kind: the two are measured
			// side by side, on the same state and heap, as the run goes on.
			send := pairedSend(kind)
			s, _, err := r.phase(ctx, send, r.builder(send))
			if err != nil {
				return r.res, err
			}
			paired = &s
		}
		from := r.blocks.next
		res, blocks, err := r.phase(ctx, kind, r.builder(kind))
		if err != nil {
			return r.res, err
		}
		res.PairedSend = paired
		if kind == kindSend && paired == nil {
			if err := r.fitWindows(ctx, res.Blocks, int(r.blocks.next-from)); err != nil {
				return r.res, err
			}
		}
		r.res.Kinds = append(r.res.Kinds, res)
		r.after(kind, blocks)
	}
	if err := r.res.readNodeTimings(r.nw.node.log); err != nil {
		fmt.Printf("no block timings: %v\n", err)
	}
	peak, err := peakRSS(r.nw.node.cmd.Process.Pid)
	r.res.NodePeakMiB = peak
	return r.res, err
}

// fitWindows widens the jobs' windows to the pace of the first send phase
// (committed in n blocks, the chain making span over all of it) and to the
// blocks the awards of the run's jobs take, within the chain's
// max_commit_blocks and the like.
func (r *chainRun) fitWindows(ctx context.Context, n, span int) error {
	res, err := computetypes.NewQueryClient(r.alice.Conn).Params(ctx, &computetypes.QueryParamsRequest{})
	if err != nil {
		return fmt.Errorf("compute params: %w", err)
	}
	drain := awardBlocks(r.o.accounts*r.o.perAccount, res.Params.MaxQueueItemsPerBlock)
	r.o.windows = r.o.windows.fit(n, span, drain).within(res.Params)
	fmt.Printf("job windows: commit %d, reveal %d, exec %d blocks\n", r.o.windows.commit, r.o.windows.reveal, r.o.windows.exec)
	return nil
}

func (r *chainRun) wants(kind string) bool {
	for _, k := range r.o.kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// setup registers every account as a provider (for the bids), lists the
// datasets the licences are bought of and sets up the claimers; none of it
// is measured.
func (r *chainRun) setup(ctx context.Context) error {
	if r.wants(kindClaim) {
		if err := r.setupClaimers(ctx); err != nil {
			return err
		}
	}
	if r.wants(kindModel) {
		if err := r.commitModels(ctx); err != nil {
			return err
		}
	}
	if r.wants(kindCommit) {
		if _, _, err := r.phase(ctx, kindProvider, func(i int) []sdk.Msg { return []sdk.Msg{providerMsg(r.accs[i].bech)} }); err != nil {
			return err
		}
	}
	if !r.wants(kindLicence) {
		return nil
	}
	n := 2 * r.o.perAccount // enough that each buyer finds per-account datasets it does not own
	if err := r.commitDatasets(ctx, n); err != nil {
		return err
	}
	_, blocks, err := r.phase(ctx, kindDataset, func(i int) []sdk.Msg {
		var out []sdk.Msg
		for j := i; j < n; j += len(r.accs) {
			out = append(out, datasetMsg(r.accs[i].bech, j))
		}
		return out
	})
	if err != nil {
		return err
	}
	owner := r.ownerIndex()
	for _, ev := range typedEvents(blocks) {
		if e, ok := ev.(*dmtypes.EventDatasetListed); ok {
			r.datasets, r.dsOwner = append(r.datasets, e.DatasetId), append(r.dsOwner, owner[e.Owner])
		}
	}
	return nil
}

func (r *chainRun) ownerIndex() map[string]int {
	m := make(map[string]int, len(r.accs))
	for i, a := range r.accs {
		m[a.bech] = i
	}
	return m
}

// builder returns the messages of kind that account i signs.
func (r *chainRun) builder(kind string) func(i int) []sdk.Msg {
	n, k := len(r.accs), r.o.perAccount
	repeat := func(f func(i, j int) sdk.Msg) func(int) []sdk.Msg {
		return func(i int) []sdk.Msg {
			out := make([]sdk.Msg, 0, k)
			for j := 0; j < k; j++ {
				if m := f(i, j); m != nil {
					out = append(out, m)
				}
			}
			return out
		}
	}
	switch kind {
	case kindSend:
		return repeat(func(i, _ int) sdk.Msg { return sendMsg(r.accs[i].bech, r.accs[(i+1)%n].bech) })
	case kindClaimerSend:
		c := r.signers(kind)
		return func(i int) []sdk.Msg { return []sdk.Msg{sendMsg(c[i].bech, c[(i+1)%len(c)].bech)} }
	case kindModel:
		return repeat(func(i, j int) sdk.Msg { return modelMsg(r.accs[i].bech, i, j) })
	case kindLock:
		return repeat(func(i, _ int) sdk.Msg { return lockMsg(r.accs[i].bech) })
	case kindClaim:
		c := r.signers(kind)
		return func(i int) []sdk.Msg { return []sdk.Msg{claimMsg(c[i].bech)} }
	case kindCreate:
		return repeat(func(i, j int) sdk.Msg { return createMsg(r.accs[i].bech, uint64(i*k+j+1), r.o.windows) })
	case kindLicence:
		return r.licences
	}
	// Bids, reveals and results: on each job of account i-1, by account i.
	f := map[string]func(string, uint64) sdk.Msg{kindCommit: commitMsg, kindReveal: revealMsg, kindSubmit: submitMsg}[kind]
	return func(i int) []sdk.Msg {
		var out []sdk.Msg
		for _, j := range r.jobs {
			if (j.owner+1)%n == i {
				out = append(out, f(r.accs[i].bech, j.id))
			}
		}
		return out
	}
}

// licences are per-account licence purchases by account i, each of a
// dataset i does not own.
func (r *chainRun) licences(i int) []sdk.Msg {
	var out []sdk.Msg
	for d, id := range r.datasets {
		if r.dsOwner[d] != i && len(out) < r.o.perAccount {
			out = append(out, licenceMsg(r.accs[i].bech, id))
		}
	}
	return out
}

// before waits until kind can run: reveals after every job's commit phase,
// results once every job is awarded.
func (r *chainRun) before(ctx context.Context, kind string) error {
	var until int64
	for _, j := range r.jobs {
		switch kind {
		case kindReveal:
			until = max(until, j.commitEnd+1)
		case kindSubmit:
			until = max(until, j.revealEnd+1)
		}
	}
	if until == 0 {
		return nil
	}
	fmt.Printf("waiting for height %d before %s\n", until, kind)
	for {
		h, err := r.blocks.latest(ctx)
		if err != nil {
			return err
		}
		if h >= until && (kind != kindSubmit || r.awarded(ctx)) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// awarded reports whether no job is left in its auction (the end-of-reveal
// queue drains a capped number per block).
func (r *chainRun) awarded(ctx context.Context) bool {
	st, err := computetypes.NewQueryClient(r.alice.Conn).Stats(ctx, &computetypes.QueryStatsRequest{})
	if err != nil {
		return false
	}
	for _, c := range st.Stats.JobsPerState {
		if c.State.InAuction() && c.Count > 0 {
			return false
		}
	}
	return true
}

// after records what later kinds need from kind's blocks: the jobs created.
func (r *chainRun) after(kind string, blocks []blockInfo) {
	if kind != kindCreate {
		return
	}
	owner := r.ownerIndex()
	for _, ev := range typedEvents(blocks) {
		if e, ok := ev.(*computetypes.EventJobCreated); ok {
			r.jobs = append(r.jobs, jobRef{id: e.JobId, owner: owner[e.Requester], commitEnd: e.CommitEnd, revealEnd: e.RevealEnd})
		}
	}
}

// typedEvents parses the aichain typed events of blocks' txs.
func typedEvents(blocks []blockInfo) []any {
	var out []any
	for _, b := range blocks {
		for _, t := range b.Txs {
			for _, ev := range t.Events {
				if !strings.HasPrefix(ev.Type, "aichain.") {
					continue
				}
				if msg, err := sdk.ParseTypedEvent(abci.Event{Type: ev.Type, Attributes: ev.Attributes}); err == nil {
					out = append(out, msg)
				}
			}
		}
	}
	return out
}

// freeName is base.ext, or base.N.ext with the first N not taken: a kind
// profiled in several phases (bank send runs before every kind) keeps a
// profile of each.
func freeName(base, ext string) string {
	name := base + "." + ext
	for n := 2; ; n++ {
		if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s.%d.%s", base, n, ext)
	}
}

// nodeCapture is one capture of the node's pprof endpoint: its path under
// /debug/pprof/ and the file it goes to, by kind (KIND.cpu.pprof, ...).
type nodeCapture struct{ endpoint, suffix, ext string }

// captures is what --profile takes of the node while a kind runs: a CPU
// and an allocation profile, and with --trace an execution trace (which
// shows what a profile cannot: how long each goroutine waited for a core
// or a lock, the consensus goroutine's among them).
func captures(trace bool) []nodeCapture {
	c := []nodeCapture{{"profile", "cpu", "pprof"}, {"allocs", "allocs", "pprof"}}
	if trace {
		c = append(c, nodeCapture{"trace", "", "trace"})
	}
	return c
}

// profile takes the node's captures (CPU and allocation profiles, an
// execution trace with --trace) for --profile-seconds if kind is one
// --profile names; wait waits for them all.
func (r *chainRun) profile(ctx context.Context, kind string) (wait func()) {
	name := ""
	for _, f := range r.o.profile {
		if kindFlag[f] == kind {
			name = f
		}
	}
	if name == "" {
		return func() {}
	}
	dir := filepath.Join(r.o.out, "profiles")
	caps := captures(r.o.trace)
	done := make(chan error, len(caps))
	for _, c := range caps {
		url := fmt.Sprintf("%s%s?seconds=%d", r.nw.pprofURL(), c.endpoint, r.o.profileSeconds)
		base := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if c.suffix != "" {
			base += "." + c.suffix
		}
		file := freeName(base, c.ext)
		go func() { done <- fetchTo(ctx, url, file) }()
	}
	return func() {
		for range caps {
			if err := <-done; err != nil {
				fmt.Fprintln(os.Stderr, "profile:", err)
			}
		}
		fmt.Printf("profiles of %s in %s (go tool pprof -top %s/aichaind FILE", kind, dir, r.o.bin)
		if r.o.trace {
			fmt.Print("; go tool trace -pprof=sched FILE.trace > sched.pprof for the waits for a core")
		}
		fmt.Println(")")
	}
}

func fetchTo(ctx context.Context, url, file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, res.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, res.Body)
	return errors.Join(err, f.Close())
}
