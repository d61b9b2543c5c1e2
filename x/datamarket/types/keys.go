package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name.
	ModuleName = "datamarket"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName
	// FormatNpyF32 is a NumPy .npy file, dtype <f4, C order, 2-D.
	FormatNpyF32 = "npy-f32"
	// FormatNpyI32 is a NumPy .npy file, dtype <i4, C order, 2-D: token ids
	// (gpt-f32 prompts, one per row, padded at the end with -1).
	FormatNpyI32 = "npy-i32"
)

var (
	// ParamsKey holds the Params.
	ParamsKey = collections.NewPrefix(0)
	// DatasetSeqKey is the dataset id sequence.
	DatasetSeqKey = collections.NewPrefix(1)
	// DatasetsKey maps dataset id → Dataset.
	DatasetsKey = collections.NewPrefix(2)
	// DatasetsByOwnerKey indexes datasets by (owner, id).
	DatasetsByOwnerKey = collections.NewPrefix(3)
	// DatasetVersionsKey maps (dataset id, version) → DatasetVersion.
	DatasetVersionsKey = collections.NewPrefix(4)
	// LicenseSeqKey is the licence id sequence.
	LicenseSeqKey = collections.NewPrefix(5)
	// LicensesKey maps licence id → License.
	LicensesKey = collections.NewPrefix(6)
	// LicensesByLicenseeKey indexes licences by (licensee, id).
	LicensesByLicenseeKey = collections.NewPrefix(7)
	// LicensesByDatasetLicenseeKey indexes licences by ((dataset id, licensee), id).
	LicensesByDatasetLicenseeKey = collections.NewPrefix(8)
	// ExpiryQueueKey is the set of (expires_height, licence id) still to expire.
	ExpiryQueueKey = collections.NewPrefix(9)
	// JobAccessKey maps (dataset id, job id) → JobAccess.
	JobAccessKey = collections.NewPrefix(10)
	// JobAccessByProviderKey indexes job accesses by ((dataset id, provider), (dataset id, job id)).
	JobAccessByProviderKey = collections.NewPrefix(11)
	// DatasetVersionsByRootKey indexes versions by (content_root, (dataset id, version)):
	// which dataset a file's Merkle root belongs to.
	DatasetVersionsByRootKey = collections.NewPrefix(12)
	// DatasetVersionsBySha256Key indexes versions by (sha256, (dataset id, version)):
	// which dataset a file's digest belongs to.
	DatasetVersionsBySha256Key = collections.NewPrefix(13)
	// QueueHeadsKey holds the expiry queue's head (see modkit.QueueHeads).
	QueueHeadsKey = collections.NewPrefix(14)
	// LicenseHoldersKey is the set of (dataset id, licensee) pairs of the
	// stored licences (since version 3): a purchase learns by one point read
	// that its buyer holds none, without an iterator.
	LicenseHoldersKey = collections.NewPrefix(15)
	// LiveLicensesKey indexes the licences not yet marked expired by
	// ((dataset id, licensee), (expires_height, id)), a perpetual licence's
	// expiry read as the largest height (since version 4).
	LiveLicensesKey = collections.NewPrefix(16)
	// ContentRootsKey and ContentShasKey map a file's Merkle root and its
	// sha256 to the dataset that published it first (since
	// version 5), so that a listing or a new version checks its content by
	// point reads.
	ContentRootsKey = collections.NewPrefix(17)
	ContentShasKey  = collections.NewPrefix(18)
	// ContentCommitsKey maps a commitment's store key (its owner and digest,
	// modkit.CommitmentKey) to its record, ContentCommitsByContentKey files
	// (content key, height, store key) of each, and CommitExpiryQueueKey
	// holds (expires_height, store key) of each, for the EndBlocker to prune
	// (since version 6).
	ContentCommitsKey          = collections.NewPrefix(19)
	CommitExpiryQueueKey       = collections.NewPrefix(20)
	ContentCommitsByContentKey = collections.NewPrefix(21)
	// ContentCommitHoldersKey counts ContentCommitsByContentKey's entries
	// per content key (modkit.Commitments.Holders; version 6).
	ContentCommitHoldersKey = collections.NewPrefix(22)
	// RowsShasKey maps a version's rows_sha256 (the sha256 of its rows
	// alone) to the dataset that published those rows first, as
	// ContentShasKey does its file's sha256 (since the rows key; a version
	// listed before it has none and is not filed).
	RowsShasKey = collections.NewPrefix(23)
)

// ValidFormat reports whether format is a dataset format: npy-f32 or
// npy-i32.
func ValidFormat(format string) bool { return format == FormatNpyF32 || format == FormatNpyI32 }
