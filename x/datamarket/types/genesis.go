package types

import (
	"bytes"

	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/types/common"
)

// DefaultGenesis returns the default genesis: default params, no datasets.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextDatasetId: 1, NextLicenseId: 1}
}

// Validate checks the genesis state: params, ids unique and below the
// sequences, every reference resolvable, every record well-formed.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextDatasetId == 0 || gs.NextLicenseId == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next ids must be positive")
	}
	datasets, err := gs.validateDatasets()
	if err != nil {
		return err
	}
	if err := gs.validateVersions(datasets); err != nil {
		return err
	}
	if err := gs.validateLicenses(datasets); err != nil {
		return err
	}
	if err := gs.validateJobAccesses(datasets); err != nil {
		return err
	}
	return gs.validateContentCommits()
}

// validateContentCommits checks each commitment, and that none appears twice.
func (gs GenesisState) validateContentCommits() error {
	return common.ValidateCommitments(gs.ContentCommits, ErrInvalidGenesis)
}

// validateDatasets checks each dataset record and returns them by id.
func (gs GenesisState) validateDatasets() (map[uint64]Dataset, error) {
	datasets := make(map[uint64]Dataset, len(gs.Datasets))
	for _, d := range gs.Datasets {
		if d.Id == 0 || d.Id >= gs.NextDatasetId {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset id %d outside 1..%d", d.Id, gs.NextDatasetId-1)
		}
		if _, dup := datasets[d.Id]; dup {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d appears twice", d.Id)
		}
		if err := common.CanonicalAddress("owner", d.Owner, ErrInvalidRequest); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		if err := common.PendingOwner(d.PendingOwner, d.Owner, ErrInvalidRequest); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		if !ValidFormat(d.Format) || d.Version == 0 {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: bad format or version", d.Id)
		}
		// Not ValidateChunking, the messages' rule: a version listed in
		// chunks smaller than their index before it must still import.
		if err := ValidateContent(d.Rows, d.Cols, d.RowsPerChunk, d.ContentRoot, d.Sha256); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		if err := validateLegacyRows(d.RowsSha256); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		if err := ValidateOffers(d.Offers); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		if err := common.ValidateShares(d.Shares); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		for _, sh := range d.Shares {
			if err := common.CanonicalAddress("share", sh.Address, ErrInvalidRequest); err != nil {
				return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
			}
		}
		datasets[d.Id] = d
	}
	return datasets, nil
}

// validateVersions checks the version records: each of a known dataset, at
// most its current version, once, well-formed; and every version of every
// dataset present, 1 to its current one, the current one with the dataset's
// content (shape, root, sha256 and uri). A licence covers the versions up to
// its own and a job pins any of them: without its record a paid licence
// would grant access that no job and no dataset server can use
// (TestAttackDatamarketGenesisDropsLicensedVersion).
//
// Two datasets may hold the same content (root or sha256): a copy listed
// before issue 17's rule, which the chain kept, must import with its chain's
// export (TestAttackCopyListedBeforeIssue17BreaksExportAfterUpgrade).
// InitGenesis files the content as the first publisher's (setContent), as
// x/modelregistry's genesis keeps two names' shared weights; only new
// listings and versions of it are refused.
func (gs GenesisState) validateVersions(datasets map[uint64]Dataset) error {
	type vkey struct{ id, v uint64 }
	versions := make(map[vkey]bool, len(gs.DatasetVersions))
	counts := make(map[uint64]uint64, len(datasets))
	for _, v := range gs.DatasetVersions {
		d, ok := datasets[v.DatasetId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "version %d of unknown dataset %d", v.Version, v.DatasetId)
		}
		if v.Version == 0 || v.Version > d.Version {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: version %d outside 1..%d", v.DatasetId, v.Version, d.Version)
		}
		if versions[vkey{v.DatasetId, v.Version}] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d version %d appears twice", v.DatasetId, v.Version)
		}
		// ValidateContent alone, as for the dataset above.
		if err := ValidateContent(v.Rows, v.Cols, v.RowsPerChunk, v.ContentRoot, v.Sha256); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d version %d: %v", v.DatasetId, v.Version, err)
		}
		if err := validateLegacyRows(v.RowsSha256); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d version %d: %v", v.DatasetId, v.Version, err)
		}
		if v.Version == d.Version && !currentRecord(d, v) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: its content differs from its version %d record", d.Id, d.Version)
		}
		versions[vkey{v.DatasetId, v.Version}] = true
		counts[v.DatasetId]++
	}
	// Each record is of a version in 1..d.Version and appears once: as many
	// records as versions is every version.
	for id, d := range datasets {
		if counts[id] != d.Version {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d has %d version records; it needs one for each of its versions 1..%d",
				id, counts[id], d.Version)
		}
	}
	return nil
}

// validateLegacyRows checks a stored rows_sha256: empty (a version listed
// before the rows key) or 64 lowercase hex digits.
func validateLegacyRows(rowsSha string) error {
	if rowsSha == "" {
		return nil
	}
	return ValidateRowsSHA256(rowsSha)
}

// currentRecord reports whether v holds d's current content, as UpdateDataset
// records it.
func currentRecord(d Dataset, v DatasetVersion) bool {
	return bytes.Equal(v.ContentRoot, d.ContentRoot) && v.Sha256 == d.Sha256 && v.RowsSha256 == d.RowsSha256 && v.Uri == d.Uri &&
		v.Rows == d.Rows && v.Cols == d.Cols && v.RowsPerChunk == d.RowsPerChunk
}

// validateLicenses checks the licences: ids unique and below the sequence,
// of known datasets and versions, of a sold kind, well-formed.
func (gs GenesisState) validateLicenses(datasets map[uint64]Dataset) error {
	licenses := make(map[uint64]bool, len(gs.Licenses))
	for _, l := range gs.Licenses {
		if l.Id == 0 || l.Id >= gs.NextLicenseId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license id %d outside 1..%d", l.Id, gs.NextLicenseId-1)
		}
		if licenses[l.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d appears twice", l.Id)
		}
		d, ok := datasets[l.DatasetId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d of unknown dataset %d", l.Id, l.DatasetId)
		}
		if err := common.CanonicalAddress("licensee", l.Licensee, ErrInvalidRequest); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d: %v", l.Id, err)
		}
		switch l.Kind {
		case LICENSE_KIND_PERPETUAL, LICENSE_KIND_RENTAL, LICENSE_KIND_SUBSCRIPTION:
		default:
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d has kind %s", l.Id, l.Kind)
		}
		if l.Version == 0 || l.Version > d.Version {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d: version %d outside 1..%d", l.Id, l.Version, d.Version)
		}
		if err := validateLicenseTerm(l); err != nil {
			return errorsmod.Wrapf(err, "license %d", l.Id)
		}
		if err := l.Price.Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d: price: %v", l.Id, err)
		}
		licenses[l.Id] = true
	}
	return nil
}

// validateLicenseTerm checks a licence's expiry and term against its kind,
// as a purchase sets them: a PERPETUAL licence never expires (expires_height
// 0, no term, never marked expired); a RENTAL or SUBSCRIPTION one has an
// expiry (0 would read as "never": a renter's perpetual access,
// TestAttackDatamarketGenesisRentalWithoutExpiry) and a term of 1 to
// HardMaxTermBlocks blocks. Not the max_term_blocks in force: governance
// may have lowered it below the term of a licence sold before, which an
// honest export holds.
func validateLicenseTerm(l License) error {
	if l.Kind == LICENSE_KIND_PERPETUAL {
		if l.ExpiresHeight != 0 || l.TermBlocks != 0 || l.Expired {
			return errorsmod.Wrapf(ErrInvalidGenesis, "a PERPETUAL licence never expires: expires_height %d, term_blocks %d, expired %t",
				l.ExpiresHeight, l.TermBlocks, l.Expired)
		}
		return nil
	}
	if l.ExpiresHeight <= 0 || l.TermBlocks == 0 || l.TermBlocks > HardMaxTermBlocks {
		return errorsmod.Wrapf(ErrInvalidGenesis, "a %s licence needs expires_height > 0 and term_blocks in 1..%d: got %d and %d",
			l.Kind.Short(), HardMaxTermBlocks, l.ExpiresHeight, l.TermBlocks)
	}
	return nil
}

// validateJobAccesses checks the job accesses: of known datasets and
// versions (0 for one granted before versions were pinned), with a valid
// provider and fee, each (dataset, job) once.
func (gs GenesisState) validateJobAccesses(datasets map[uint64]Dataset) error {
	type jkey struct{ d, j uint64 }
	jobs := make(map[jkey]bool, len(gs.JobAccesses))
	for _, j := range gs.JobAccesses {
		d, ok := datasets[j.DatasetId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %d access to unknown dataset %d", j.JobId, j.DatasetId)
		}
		// Version 0: granted before versions were pinned (Migrate1to2 left
		// such an access to its job, which reads any version); a chain
		// exported while one lives must import.
		if j.Version > d.Version {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %d: version %d beyond %d", j.JobId, j.Version, d.Version)
		}
		if err := common.CanonicalAddress("provider", j.Provider, ErrInvalidRequest); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %d: %v", j.JobId, err)
		}
		if err := j.Fee.Validate(); err != nil || (!j.FeeCharged && !j.Fee.IsZero()) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %d: fee %s (charged %t): %v", j.JobId, j.Fee, j.FeeCharged, err)
		}
		if jobs[jkey{j.DatasetId, j.JobId}] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job access (%d, %d) appears twice", j.DatasetId, j.JobId)
		}
		jobs[jkey{j.DatasetId, j.JobId}] = true
	}
	return nil
}
