// Package apptesting builds a real, in-memory aichain app for keeper and
// integration tests: one bonded validator, funded accounts, and helpers to
// advance blocks through FinalizeBlock and Commit as a node would.
package apptesting

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
)

// ChainID is the chain-id of test apps.
const ChainID = "aichain-test-1"

// Account is a funded test account with its key.
type Account struct {
	Priv    cryptotypes.PrivKey
	Address sdk.AccAddress
}

// String returns the bech32 address.
func (a Account) String() string { return a.Address.String() }

// TestApp is an app at some height, with a context for the current block.
type TestApp struct {
	*app.App
	T        testing.TB
	Ctx      sdk.Context
	Accounts []Account
	header   cmtproto.Header
	genesis  []byte // the app state it was initialised from (see Twin)
}

// DefaultBalance is what each test account starts with: 1,000,000 AIC.
var DefaultBalance = math.NewInt(1_000_000_000_000)

// Setup returns an app initialised from a genesis with one bonded validator
// and n funded accounts, with its first block begun.
func Setup(t testing.TB, n int) *TestApp {
	t.Helper()
	return SetupOnDB(t, n, dbm.NewMemDB())
}

// SetupOnDisk is Setup on a LevelDB database in a temporary directory, the
// database a node keeps its state in, opened with the node's options
// (app.OpenDB): for benchmarks whose cost depends on the database (an
// in-memory one walks a tree where LevelDB seeks a file).
func SetupOnDisk(t testing.TB, n int) *TestApp {
	t.Helper()
	db, err := app.OpenDB(t.TempDir(), dbm.GoLevelDBBackend)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return SetupOnDB(t, n, db)
}

// SetupOnDB is Setup on db.
func SetupOnDB(t testing.TB, n int, db dbm.DB) *TestApp {
	t.Helper()
	return setup(t, n, newAppOnDB(t, db, nil))
}

// SetupWithOptions is Setup with app.toml settings (keys as in app.toml,
// "proposer.max-exec-time").
func SetupWithOptions(t testing.TB, n int, opts map[string]any) *TestApp {
	t.Helper()
	return setup(t, n, newAppOnDB(t, dbm.NewMemDB(), opts))
}

// SetupSeeded is Setup with the validator's and the accounts' keys derived
// from seed. The store orders providers, jobs and bids by address, so a
// simulation whose draws are seeded is the same run every time only when its
// addresses are too (with random keys one run in about fifteen never drew
// an unbond).
func SetupSeeded(t testing.TB, n int, seed int64) *TestApp {
	t.Helper()
	return setupKeys(t, n, newAppOnDB(t, dbm.NewMemDB(), nil), seededKeys(seed))
}

// keySource gives the validator's consensus key and the accounts' keys.
type keySource struct {
	validator func() cmtcrypto.PubKey
	account   func(i int) *secp256k1.PrivKey
}

// randomKeys are fresh keys, Setup's.
var randomKeys = keySource{
	validator: func() cmtcrypto.PubKey { return cmted25519.GenPrivKey().PubKey() },
	account:   func(int) *secp256k1.PrivKey { return secp256k1.GenPrivKey() },
}

// seededKeys derives every key from seed.
func seededKeys(seed int64) keySource {
	return keySource{
		validator: func() cmtcrypto.PubKey {
			return cmted25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "apptesting validator %d", seed)).PubKey()
		},
		account: func(i int) *secp256k1.PrivKey {
			return secp256k1.GenPrivKeyFromSecret(fmt.Appendf(nil, "apptesting account %d/%d", seed, i))
		},
	}
}

func setup(t testing.TB, n int, a *app.App) *TestApp {
	t.Helper()
	return setupKeys(t, n, a, randomKeys)
}

func setupKeys(t testing.TB, n int, a *app.App, keys keySource) *TestApp {
	t.Helper()
	valSet := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(keys.validator(), 1)})
	accounts := make([]Account, n+1)
	genAccs := make([]authtypes.GenesisAccount, 0, n+1)
	balances := make([]banktypes.Balance, 0, n+1)
	for i := range accounts {
		priv := keys.account(i)
		accounts[i] = Account{Priv: priv, Address: sdk.AccAddress(priv.PubKey().Address())}
		genAccs = append(genAccs, authtypes.NewBaseAccount(accounts[i].Address, priv.PubKey(), uint64(i), 0))
		balances = append(balances, banktypes.Balance{
			Address: accounts[i].Address.String(),
			Coins:   sdk.NewCoins(sdk.NewCoin(app.BondDenom, DefaultBalance)),
		})
	}
	genesis, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), valSet, genAccs[:1], balances...)
	if err != nil {
		t.Fatal(err)
	}
	// GenesisStateWithValSet takes one account for the validator; add the rest.
	genesis = addAccounts(t, a, genesis, genAccs[1:])
	genesis = listWithoutCommitments(t, a, genesis)
	stateBytes, err := jsonMarshal(genesis)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	InitChain(t, a, stateBytes, now)
	return start(t, a, accounts[1:], stateBytes, now)
}

// start finishes block 1 of a, initialised from stateBytes at now, so that
// it has committed state.
func start(t testing.TB, a *app.App, accounts []Account, stateBytes []byte, now time.Time) *TestApp {
	ta := &TestApp{App: a, T: t, Accounts: accounts, genesis: stateBytes}
	ta.header = cmtproto.Header{ChainID: ChainID, Height: 1, Time: now}
	ta.Ctx = a.NewUncachedContext(false, ta.header)
	ta.NextBlock()
	return ta
}

// Twin returns a second app initialised from the same genesis as ta (a
// Setup app that has finished only its first block), in the same state:
// another node of the same chain, for tests that compare two nodes'
// results of one block.
func (ta *TestApp) Twin(t testing.TB) *TestApp {
	t.Helper()
	if ta.header.Height != 2 {
		t.Fatalf("Twin of an app at height %d: only a fresh Setup app has a twin", ta.header.Height)
	}
	a := NewApp(t)
	now := ta.header.Time.Add(-5 * time.Second)
	InitChain(t, a, ta.genesis, now)
	return start(t, a, ta.Accounts, ta.genesis, now)
}

// NewApp returns a fresh app on an in-memory database, not yet initialised.
func NewApp(t testing.TB) *app.App { return newAppOnDB(t, dbm.NewMemDB(), nil) }

func newAppOnDB(t testing.TB, db dbm.DB, opts map[string]any) *app.App {
	appOpts := simtestutil.AppOptionsMap{flags.FlagHome: t.TempDir()}
	for k, v := range opts {
		appOpts[k] = v
	}
	return app.New(log.NewNopLogger(), db, nil, true, appOpts, baseapp.SetChainID(ChainID))
}

// InitChain initialises a from a genesis app state at height 1, as a node
// does on its first start (the SDK's default consensus params, validators
// from the genesis).
func InitChain(t testing.TB, a *app.App, appState []byte, genesisTime time.Time) {
	t.Helper()
	if _, err := a.InitChain(&abci.RequestInitChain{
		ChainId:         ChainID,
		Validators:      []abci.ValidatorUpdate{},
		ConsensusParams: simtestutil.DefaultConsensusParams,
		AppStateBytes:   appState,
		Time:            genesisTime,
		InitialHeight:   1,
	}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
}

// NextBlock finalizes and commits the current height (running the
// pre/begin/end blockers) and returns a context for the next one, 5 s later.
// Writes made through Ctx before the call are part of the committed state.
func (ta *TestApp) NextBlock() sdk.Context {
	ta.T.Helper()
	return ta.NextBlockAfter(5 * time.Second)
}

// NextBlockAfter is NextBlock with a chosen block time step.
func (ta *TestApp) NextBlockAfter(d time.Duration) sdk.Context {
	ta.T.Helper()
	ta.finalize(nil, d)
	return ta.Ctx
}

// NextBlockWithTxs finalizes and commits the current height as a block that
// holds txs (encoded, in order), as a node does after consensus, and returns
// each tx's result; the next block is 1 s later. A failed tx is in the results,
// not an error.
func (ta *TestApp) NextBlockWithTxs(txs [][]byte) []*abci.ExecTxResult {
	ta.T.Helper()
	return ta.finalize(txs, time.Second)
}

func (ta *TestApp) finalize(txs [][]byte, d time.Duration) []*abci.ExecTxResult {
	ta.T.Helper()
	res, err := ta.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height: ta.header.Height,
		Time:   ta.header.Time,
		Hash:   []byte("block-hash-for-tests-0000000000000000"),
		Txs:    txs,
	})
	if err != nil {
		ta.T.Fatalf("FinalizeBlock %d: %v", ta.header.Height, err)
	}
	if _, err := ta.Commit(); err != nil {
		ta.T.Fatalf("Commit %d: %v", ta.header.Height, err)
	}
	ta.header.Height++
	ta.header.Time = ta.header.Time.Add(d)
	ta.Ctx = ta.NewUncachedContext(false, ta.header).WithHeaderHash([]byte("block-hash-for-tests-0000000000000000"))
	return res.TxResults
}

// Balance returns an address's balance of a denom.
func (ta *TestApp) Balance(addr sdk.AccAddress, denom string) math.Int {
	return ta.BankKeeper.GetBalance(ta.Ctx, addr, denom).Amount
}

// NewAccount funds a fresh account from the first test account and returns it.
func (ta *TestApp) NewAccount(coins sdk.Coins) Account {
	ta.T.Helper()
	priv := secp256k1.GenPrivKey()
	acc := Account{Priv: priv, Address: sdk.AccAddress(priv.PubKey().Address())}
	if err := ta.BankKeeper.SendCoins(ta.Ctx, ta.Accounts[0].Address, acc.Address, coins); err != nil {
		ta.T.Fatal(err)
	}
	return acc
}

// SignTx signs msgs as from at sequence seq (its current account number, no
// fee, gas limit gas) and returns the encoded transaction.
func (ta *TestApp) SignTx(from Account, seq, gas uint64, msgs ...sdk.Msg) []byte {
	ta.T.Helper()
	acc := ta.AccountKeeper.GetAccount(ta.Ctx, from.Address)
	if acc == nil {
		ta.T.Fatalf("SignTx: %s has no account", from)
	}
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(int64(seq))), ta.TxConfig(), msgs, sdk.Coins{},
		gas, ChainID, []uint64{acc.GetAccountNumber()}, []uint64{seq}, from.Priv)
	if err != nil {
		ta.T.Fatal(err)
	}
	bz, err := ta.TxConfig().TxEncoder()(tx)
	if err != nil {
		ta.T.Fatal(err)
	}
	return bz
}

// DeliverTx signs msgs as from (its current sequence, a gas limit of
// 2,000,000; SignTx) and finalizes a block that holds them as one
// transaction, as a node would; it returns the transaction's result.
func (ta *TestApp) DeliverTx(from Account, msgs ...sdk.Msg) *abci.ExecTxResult {
	ta.T.Helper()
	acc := ta.AccountKeeper.GetAccount(ta.Ctx, from.Address)
	if acc == nil {
		ta.T.Fatalf("DeliverTx: %s has no account", from)
	}
	return ta.NextBlockWithTxs([][]byte{ta.SignTx(from, acc.GetSequence(), 2_000_000, msgs...)})[0]
}
