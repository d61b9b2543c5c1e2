package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

// Migrator runs the module's store migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the module's migrator.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 brings a version-1 store to the hardening of issue 17, once,
// at the upgrade height: the secondary indexes it added (versions by content
// root and by sha256, licences by dataset and licensee, job accesses by
// provider) are built by writing every dataset, version, licence and job
// access again (each map read whole first, then written: no write under an
// open iterator). A job access granted before the upgrade carries no
// version (0) and keeps reading any version until its job ends, as it was
// granted; every grant after it names the job's pinned version.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	k := m.k
	if err := rewrite(ctx, k.Datasets); err != nil {
		return errorsmod.Wrap(err, "migrate datamarket 1→2: datasets")
	}
	if err := rewrite(ctx, k.DatasetVersions); err != nil {
		return errorsmod.Wrap(err, "migrate datamarket 1→2: dataset versions")
	}
	if err := rewrite(ctx, k.Licenses); err != nil {
		return errorsmod.Wrap(err, "migrate datamarket 1→2: licences")
	}
	if err := rewrite(ctx, k.JobAccess); err != nil {
		return errorsmod.Wrap(err, "migrate datamarket 1→2: job accesses")
	}
	return nil
}

// rewrite writes every entry of an indexed map again, which references it in
// every index the map has now.
func rewrite[K, V any, I collections.Indexes[K, V]](ctx context.Context, m *collections.IndexedMap[K, V, I]) error {
	var keys []K
	var values []V
	err := m.Walk(ctx, nil, func(k K, v V) (bool, error) {
		keys, values = append(keys, k), append(values, v)
		return false, nil
	})
	if err != nil {
		return err
	}
	for i := range keys {
		if err := m.Set(ctx, keys[i], values[i]); err != nil {
			return err
		}
	}
	return nil
}

// Migrate2to3 fills LicenseHolders, which version 3 reads before it walks a
// licensee's licences of a dataset: the (dataset, licensee) pair of every
// licence (each read once; no licence or coin changes).
func (m Migrator) Migrate2to3(ctx sdk.Context) error {
	err := m.k.Licenses.Walk(ctx, nil, func(_ uint64, l types.License) (bool, error) {
		return false, m.k.addHolder(ctx, l.DatasetId, l.Licensee)
	})
	return errorsmod.Wrap(err, "migrate datamarket 2→3: licence holders")
}

// Migrate3to4 fills LiveLicenses, which version 4 walks instead of every
// licence of a (dataset, licensee) pair: the entry of every licence not
// marked expired (each read once, then written: no write under an open
// iterator; no licence or coin changes). Expired licences stay where they
// are, in the ByLicensee and ByDatasetLicensee indexes, read by no access
// check again.
func (m Migrator) Migrate3to4(ctx sdk.Context) error {
	it, err := m.k.Licenses.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "migrate datamarket 3→4: live licences")
	}
	licenses, err := it.Values()
	if err != nil {
		return errorsmod.Wrap(err, "migrate datamarket 3→4: live licences")
	}
	for _, l := range licenses {
		if err := m.k.fileLive(ctx, l); err != nil {
			return errorsmod.Wrapf(err, "migrate datamarket 3→4: licence %d", l.Id)
		}
	}
	return nil
}

// Migrate4to5 files every stored version's content root and sha256 as the
// dataset's that published it first (setContent) (ContentRoots, ContentShas,
// setContent), which the content check of a listing or a new version now
// reads by key. A file two datasets hold (the second listed it on a
// version-1 store, before issue 17's rule) stays the first lister's: its
// owner may still publish it as a new version, the copy may not, and both
// datasets keep their versions and licences. Every version is read once.
func (m Migrator) Migrate4to5(ctx sdk.Context) error {
	it, err := m.k.DatasetVersions.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "migrate datamarket 4→5: content")
	}
	versions, err := it.Values()
	if err == nil {
		err = m.k.setContent(ctx, versions)
	}
	return errorsmod.Wrap(err, "migrate datamarket 4→5: content")
}

// Migrate5to6 turns on commit-then-list at the upgrade height: the params
// gain content_commit_delay_blocks and content_commit_ttl_blocks at their
// defaults (stored as 0, the delay would list new content without a
// commitment, and the ttl would fail the params' validation). The
// commitments and their expiry queue start empty.
func (m Migrator) Migrate5to6(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "datamarket 5→6: params")
	}
	d := types.DefaultParams()
	params.ContentCommitDelayBlocks, params.ContentCommitTtlBlocks = d.ContentCommitDelayBlocks, d.ContentCommitTtlBlocks
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "datamarket 5→6: params")
	}
	return m.k.Params.Set(ctx, params)
}
