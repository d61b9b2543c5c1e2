// Package keeper holds the datamarket module's state and logic: datasets and
// their versions, licences, per-job access, and the payments of licence sales
// and per-job fees.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// DatasetIndexes are the secondary indexes of Datasets.
type DatasetIndexes struct {
	// ByOwner maps (owner, dataset id).
	ByOwner *indexes.Multi[string, uint64, types.Dataset]
}

// IndexesList implements collections.Indexes.
func (i DatasetIndexes) IndexesList() []collections.Index[uint64, types.Dataset] {
	return []collections.Index[uint64, types.Dataset]{i.ByOwner}
}

// LicenseIndexes are the secondary indexes of Licenses.
type LicenseIndexes struct {
	// ByLicensee maps (licensee, licence id), for the Licenses query.
	ByLicensee *indexes.Multi[string, uint64, types.License]
	// ByDatasetLicensee maps ((dataset id, licensee), licence id): every
	// licence of the pair, expired ones too (moveHolder). Access checks walk
	// LiveLicenses instead.
	ByDatasetLicensee *indexes.Multi[collections.Pair[uint64, string], uint64, types.License]
}

// IndexesList implements collections.Indexes.
func (i LicenseIndexes) IndexesList() []collections.Index[uint64, types.License] {
	return []collections.Index[uint64, types.License]{i.ByLicensee, i.ByDatasetLicensee}
}

// VersionIndexes are the secondary indexes of DatasetVersions: which dataset a
// file belongs to, by its Merkle root and by its sha256. Every entry under one
// root (or sha256) is of one dataset: ListDataset and UpdateDataset refuse
// another's content, so the first entry answers.
type VersionIndexes struct {
	ByRoot   *indexes.Multi[[]byte, collections.Pair[uint64, uint64], types.DatasetVersion]
	BySha256 *indexes.Multi[string, collections.Pair[uint64, uint64], types.DatasetVersion]
}

// IndexesList implements collections.Indexes.
func (i VersionIndexes) IndexesList() []collections.Index[collections.Pair[uint64, uint64], types.DatasetVersion] {
	return []collections.Index[collections.Pair[uint64, uint64], types.DatasetVersion]{i.ByRoot, i.BySha256}
}

// JobAccessIndexes are the secondary indexes of JobAccess.
type JobAccessIndexes struct {
	// ByProvider maps ((dataset id, provider), (dataset id, job id)), for HasAccess.
	ByProvider *indexes.Multi[collections.Pair[uint64, string], collections.Pair[uint64, uint64], types.JobAccess]
}

// IndexesList implements collections.Indexes.
func (i JobAccessIndexes) IndexesList() []collections.Index[collections.Pair[uint64, uint64], types.JobAccess] {
	return []collections.Index[collections.Pair[uint64, uint64], types.JobAccess]{i.ByProvider}
}

// expiryQueueName is ExpiryQueue's schema name.
const expiryQueueName = "expiry_queue"

// Keeper is the datamarket keeper.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService store.KVStoreService
	addressCodec address.Codec
	bank         types.BankKeeper
	modules      modkit.ModuleAccounts
	// authority may change the params (the gov module account).
	authority string

	Schema collections.Schema
	Params collections.Item[types.Params]
	// DatasetSeq gives dataset ids, starting at 1.
	DatasetSeq collections.Sequence
	Datasets   *collections.IndexedMap[uint64, types.Dataset, DatasetIndexes]
	// DatasetVersions keeps every version's content by (dataset id, version),
	// indexed by content root and by sha256.
	DatasetVersions *collections.IndexedMap[collections.Pair[uint64, uint64], types.DatasetVersion, VersionIndexes]
	// ContentRoots and ContentShas map a file's Merkle root and sha256 to
	// the dataset that published it first (setContent) (putVersion,
	// setContent; checkContent reads them by key).
	ContentRoots collections.Map[[]byte, uint64]
	ContentShas  collections.Map[string, uint64]
	// RowsShas maps a version's rows_sha256 to the dataset that published
	// those rows first, however chunked or framed (as ContentShas).
	RowsShas collections.Map[string, uint64]
	// LicenseSeq gives licence ids, starting at 1.
	LicenseSeq collections.Sequence
	Licenses   *collections.IndexedMap[uint64, types.License, LicenseIndexes]
	// licensesRaw is Licenses' storage without its indexes (a purchase
	// inserts through it with modkit.InsertIndexed).
	licensesRaw collections.Map[uint64, types.License]
	// LicenseHolders holds every (dataset id, licensee) of a stored licence
	// (expired ones too): walkLicenses opens the LiveLicenses iterator only
	// for a pair in it.
	LicenseHolders collections.KeySet[collections.Pair[uint64, string]]
	// LiveLicenses holds ((dataset id, licensee), (expiry, licence id)) of
	// every licence not marked expired (liveExpiry: a perpetual one under
	// the largest height). walkLicenses reads only the range of a pair valid
	// at the height: licences that others gave a licensee, once expired,
	// are never read again (TestAttackDatamarketGiftedDeadLicencesInflateVictimGas).
	LiveLicenses collections.KeySet[liveKey]
	// ExpiryQueue holds (expires_height, licence id) of licences not yet marked expired.
	ExpiryQueue modkit.Queue[int64, uint64]
	// ContentCommits holds the commitments not yet used nor expired
	// (commit.go), and their expiries for the EndBlocker to prune.
	ContentCommits modkit.Commitments
	// JobAccess maps (dataset id, job id) to the job's provider.
	JobAccess *collections.IndexedMap[collections.Pair[uint64, uint64], types.JobAccess, JobAccessIndexes]

	// Read-only views of the index key ranges, for paginated queries.
	datasetsByOwnerView    collections.KeySet[collections.Pair[string, uint64]]
	licensesByLicenseeView collections.KeySet[collections.Pair[string, uint64]]
}

// NewKeeper returns a datamarket keeper; the address codec is ak's.
// authority is the gov module account address.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, ak types.AccountKeeper,
	bk types.BankKeeper, authority string,
) Keeper {
	addressCodec := ak.AddressCodec()
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("datamarket: invalid authority %q: %w", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	heads := modkit.NewQueueHeads(sb, types.QueueHeadsKey)
	k := Keeper{
		cdc:          cdc,
		storeService: storeService,
		addressCodec: addressCodec,
		bank:         bk,
		modules:      modkit.NewModuleAccounts(ak),
		authority:    authority,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		DatasetSeq:   collections.NewSequence(sb, types.DatasetSeqKey, "dataset_seq"),
		Datasets: collections.NewIndexedMap(sb, types.DatasetsKey, "datasets", collections.Uint64Key,
			codec.CollValue[types.Dataset](cdc),
			DatasetIndexes{
				ByOwner: indexes.NewMulti(sb, types.DatasetsByOwnerKey, "datasets_by_owner",
					collections.StringKey, collections.Uint64Key,
					func(_ uint64, d types.Dataset) (string, error) { return d.Owner, nil }),
			}),
		DatasetVersions: collections.NewIndexedMap(sb, types.DatasetVersionsKey, "dataset_versions",
			collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key), codec.CollValue[types.DatasetVersion](cdc),
			VersionIndexes{
				ByRoot: indexes.NewMulti(sb, types.DatasetVersionsByRootKey, "dataset_versions_by_root",
					collections.BytesKey, collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key),
					func(_ collections.Pair[uint64, uint64], v types.DatasetVersion) ([]byte, error) {
						return v.ContentRoot, nil
					}),
				BySha256: indexes.NewMulti(sb, types.DatasetVersionsBySha256Key, "dataset_versions_by_sha256",
					collections.StringKey, collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key),
					func(_ collections.Pair[uint64, uint64], v types.DatasetVersion) (string, error) { return v.Sha256, nil }),
			}),
		ContentRoots: collections.NewMap(sb, types.ContentRootsKey, "content_roots", collections.BytesKey, collections.Uint64Value),
		ContentShas:  collections.NewMap(sb, types.ContentShasKey, "content_shas", collections.StringKey, collections.Uint64Value),
		RowsShas:     collections.NewMap(sb, types.RowsShasKey, "rows_shas", collections.StringKey, collections.Uint64Value),
		LicenseSeq:   collections.NewSequence(sb, types.LicenseSeqKey, "license_seq"),
		Licenses: collections.NewIndexedMap(sb, types.LicensesKey, "licenses", collections.Uint64Key,
			codec.CollValue[types.License](cdc),
			LicenseIndexes{
				ByLicensee: indexes.NewMulti(sb, types.LicensesByLicenseeKey, "licenses_by_licensee",
					collections.StringKey, collections.Uint64Key,
					func(_ uint64, l types.License) (string, error) { return l.Licensee, nil }),
				ByDatasetLicensee: indexes.NewMulti(sb, types.LicensesByDatasetLicenseeKey, "licenses_by_dataset_licensee",
					collections.PairKeyCodec(collections.Uint64Key, collections.StringKey), collections.Uint64Key,
					func(_ uint64, l types.License) (collections.Pair[uint64, string], error) {
						return collections.Join(l.DatasetId, l.Licensee), nil
					}),
			}),
		LicenseHolders: collections.NewKeySet(sb, types.LicenseHoldersKey, "license_holders",
			collections.PairKeyCodec(collections.Uint64Key, collections.StringKey)),
		LiveLicenses: newLiveLicenses(sb),
		ExpiryQueue: modkit.NewQueue(sb, types.ExpiryQueueKey, expiryQueueName,
			heads, collections.Int64Key, collections.Uint64Key),
		ContentCommits: modkit.NewCommitments(sb, cdc, types.ModuleName, "content_commits", modkit.CommitmentPrefixes{
			Map: types.ContentCommitsKey, Index: types.ContentCommitsByContentKey, Holders: types.ContentCommitHoldersKey,
			Queue: types.CommitExpiryQueueKey}, heads),
		JobAccess: collections.NewIndexedMap(sb, types.JobAccessKey, "job_access",
			collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key), codec.CollValue[types.JobAccess](cdc),
			JobAccessIndexes{
				ByProvider: indexes.NewMulti(sb, types.JobAccessByProviderKey, "job_access_by_provider",
					collections.PairKeyCodec(collections.Uint64Key, collections.StringKey),
					collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key),
					func(_ collections.Pair[uint64, uint64], j types.JobAccess) (collections.Pair[uint64, string], error) {
						return collections.Join(j.DatasetId, j.Provider), nil
					}),
			}),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	k.openViews(cdc, storeService)
	return k
}

// openViews opens Licenses' storage without its indexes and the read-only
// views of the index key ranges.
func (k *Keeper) openViews(cdc codec.BinaryCodec, storeService store.KVStoreService) {
	k.licensesRaw = modkit.MapView(storeService, types.LicensesKey, "licenses", collections.Uint64Key,
		codec.CollValue[types.License](cdc))

	// The views read the index prefixes with the indexes' own key codecs
	// (modkit.IndexView: outside the schema, which holds each prefix once).
	k.datasetsByOwnerView = modkit.IndexView(storeService, types.DatasetsByOwnerKey, "datasets_by_owner",
		collections.StringKey, collections.Uint64Key)
	k.licensesByLicenseeView = modkit.IndexView(storeService, types.LicensesByLicenseeKey, "licenses_by_licensee",
		collections.StringKey, collections.Uint64Key)
}

// GetAuthority returns the address allowed to change the params.
func (k Keeper) GetAuthority() string { return k.authority }

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// canonical decodes an address and returns it with its canonical string: the
// one spelling stored, indexed and compared.
func (k Keeper) canonical(field, addr string) (sdk.AccAddress, string, error) {
	return modkit.Canonical(k.addressCodec, field, addr, types.ErrInvalidRequest)
}

// addrString is a decoded address's canonical string.
func (k Keeper) addrString(addr sdk.AccAddress) (string, error) {
	s, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		return "", errorsmod.Wrapf(types.ErrInvalidRequest, "address %x: %v", []byte(addr), err)
	}
	return s, nil
}

// isModuleAccount reports whether addr is a module account (declared by the
// app or stored as one), or an address the bank blocks.
func (k Keeper) isModuleAccount(ctx context.Context, addr sdk.AccAddress) bool {
	return k.bank.BlockedAddr(addr) || k.modules.IsModuleAccount(ctx, addr)
}

// payout pays licence prices and per-job fees over revenue shares; its errors
// are this module's.
func (k Keeper) payout() modkit.Payout {
	return modkit.Payout{
		Bank: k.bank, Accounts: k.modules, Addresses: k.addressCodec,
		ErrShares: types.ErrInvalidShares, ErrFunds: types.ErrInsufficientFunds,
	}
}
