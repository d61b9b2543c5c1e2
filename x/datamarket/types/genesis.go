package types

import (
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
	return gs.validateJobAccesses(datasets)
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
		if err := validateAddress("owner", d.Owner); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		if !ValidFormat(d.Format) || d.Version == 0 {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: bad format or version", d.Id)
		}
		if err := ValidateContent(d.Rows, d.Cols, d.RowsPerChunk, d.ContentRoot, d.Sha256); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		if err := ValidateOffers(d.Offers); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		if err := common.ValidateShares(d.Shares); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
		datasets[d.Id] = d
	}
	return datasets, nil
}

// validateVersions checks the version records: each of a known dataset, at
// most its current version, once, well-formed; and every dataset's current
// version present.
func (gs GenesisState) validateVersions(datasets map[uint64]Dataset) error {
	type vkey struct{ id, v uint64 }
	versions := make(map[vkey]bool, len(gs.DatasetVersions))
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
		if err := ValidateContent(v.Rows, v.Cols, v.RowsPerChunk, v.ContentRoot, v.Sha256); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d version %d: %v", v.DatasetId, v.Version, err)
		}
		versions[vkey{v.DatasetId, v.Version}] = true
	}
	for id, d := range datasets {
		if !versions[vkey{id, d.Version}] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d has no record of its current version %d", id, d.Version)
		}
	}
	return nil
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
		if err := validateAddress("licensee", l.Licensee); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d: %v", l.Id, err)
		}
		switch l.Kind {
		case LICENSE_KIND_PERPETUAL, LICENSE_KIND_RENTAL, LICENSE_KIND_SUBSCRIPTION:
		default:
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d has kind %s", l.Id, l.Kind)
		}
		if l.Version == 0 || l.Version > d.Version || l.ExpiresHeight < 0 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d: bad version or expiry", l.Id)
		}
		if err := l.Price.Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "license %d: price: %v", l.Id, err)
		}
		licenses[l.Id] = true
	}
	return nil
}

// validateJobAccesses checks the job accesses: of known datasets, with a
// valid provider, each (dataset, job) once.
func (gs GenesisState) validateJobAccesses(datasets map[uint64]Dataset) error {
	type jkey struct{ d, j uint64 }
	jobs := make(map[jkey]bool, len(gs.JobAccesses))
	for _, j := range gs.JobAccesses {
		if _, ok := datasets[j.DatasetId]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %d access to unknown dataset %d", j.JobId, j.DatasetId)
		}
		if err := validateAddress("provider", j.Provider); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %d: %v", j.JobId, err)
		}
		if jobs[jkey{j.DatasetId, j.JobId}] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job access (%d, %d) appears twice", j.DatasetId, j.JobId)
		}
		jobs[jkey{j.DatasetId, j.JobId}] = true
	}
	return nil
}
