package types

import (
	"fmt"

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
		return fmt.Errorf("%w: next ids must be positive", ErrInvalidGenesis)
	}
	datasets := make(map[uint64]Dataset, len(gs.Datasets))
	for _, d := range gs.Datasets {
		if d.Id == 0 || d.Id >= gs.NextDatasetId {
			return fmt.Errorf("%w: dataset id %d outside 1..%d", ErrInvalidGenesis, d.Id, gs.NextDatasetId-1)
		}
		if _, dup := datasets[d.Id]; dup {
			return fmt.Errorf("%w: dataset %d appears twice", ErrInvalidGenesis, d.Id)
		}
		if err := validateAddress("owner", d.Owner); err != nil {
			return fmt.Errorf("%w: dataset %d: %v", ErrInvalidGenesis, d.Id, err)
		}
		if d.Format != FormatNpyF32 || d.Version == 0 {
			return fmt.Errorf("%w: dataset %d: bad format or version", ErrInvalidGenesis, d.Id)
		}
		if err := ValidateContent(d.Rows, d.Cols, d.RowsPerChunk, d.ContentRoot, d.Sha256); err != nil {
			return fmt.Errorf("%w: dataset %d: %v", ErrInvalidGenesis, d.Id, err)
		}
		if err := ValidateOffers(d.Offers); err != nil {
			return fmt.Errorf("%w: dataset %d: %v", ErrInvalidGenesis, d.Id, err)
		}
		if err := common.ValidateShares(d.Shares); err != nil {
			return fmt.Errorf("%w: dataset %d: %v", ErrInvalidGenesis, d.Id, err)
		}
		datasets[d.Id] = d
	}
	type vkey struct{ id, v uint64 }
	versions := make(map[vkey]bool, len(gs.DatasetVersions))
	for _, v := range gs.DatasetVersions {
		d, ok := datasets[v.DatasetId]
		if !ok {
			return fmt.Errorf("%w: version %d of unknown dataset %d", ErrInvalidGenesis, v.Version, v.DatasetId)
		}
		if v.Version == 0 || v.Version > d.Version {
			return fmt.Errorf("%w: dataset %d: version %d outside 1..%d", ErrInvalidGenesis, v.DatasetId, v.Version, d.Version)
		}
		if versions[vkey{v.DatasetId, v.Version}] {
			return fmt.Errorf("%w: dataset %d version %d appears twice", ErrInvalidGenesis, v.DatasetId, v.Version)
		}
		if err := ValidateContent(v.Rows, v.Cols, v.RowsPerChunk, v.ContentRoot, v.Sha256); err != nil {
			return fmt.Errorf("%w: dataset %d version %d: %v", ErrInvalidGenesis, v.DatasetId, v.Version, err)
		}
		versions[vkey{v.DatasetId, v.Version}] = true
	}
	for id, d := range datasets {
		if !versions[vkey{id, d.Version}] {
			return fmt.Errorf("%w: dataset %d has no record of its current version %d", ErrInvalidGenesis, id, d.Version)
		}
	}
	licenses := make(map[uint64]bool, len(gs.Licenses))
	for _, l := range gs.Licenses {
		if l.Id == 0 || l.Id >= gs.NextLicenseId {
			return fmt.Errorf("%w: license id %d outside 1..%d", ErrInvalidGenesis, l.Id, gs.NextLicenseId-1)
		}
		if licenses[l.Id] {
			return fmt.Errorf("%w: license %d appears twice", ErrInvalidGenesis, l.Id)
		}
		d, ok := datasets[l.DatasetId]
		if !ok {
			return fmt.Errorf("%w: license %d of unknown dataset %d", ErrInvalidGenesis, l.Id, l.DatasetId)
		}
		if err := validateAddress("licensee", l.Licensee); err != nil {
			return fmt.Errorf("%w: license %d: %v", ErrInvalidGenesis, l.Id, err)
		}
		switch l.Kind {
		case LICENSE_KIND_PERPETUAL, LICENSE_KIND_RENTAL, LICENSE_KIND_SUBSCRIPTION:
		default:
			return fmt.Errorf("%w: license %d has kind %s", ErrInvalidGenesis, l.Id, l.Kind)
		}
		if l.Version == 0 || l.Version > d.Version || l.ExpiresHeight < 0 {
			return fmt.Errorf("%w: license %d: bad version or expiry", ErrInvalidGenesis, l.Id)
		}
		if err := l.Price.Validate(); err != nil {
			return fmt.Errorf("%w: license %d: price: %v", ErrInvalidGenesis, l.Id, err)
		}
		licenses[l.Id] = true
	}
	type jkey struct{ d, j uint64 }
	jobs := make(map[jkey]bool, len(gs.JobAccesses))
	for _, j := range gs.JobAccesses {
		if _, ok := datasets[j.DatasetId]; !ok {
			return fmt.Errorf("%w: job %d access to unknown dataset %d", ErrInvalidGenesis, j.JobId, j.DatasetId)
		}
		if err := validateAddress("provider", j.Provider); err != nil {
			return fmt.Errorf("%w: job %d: %v", ErrInvalidGenesis, j.JobId, err)
		}
		if jobs[jkey{j.DatasetId, j.JobId}] {
			return fmt.Errorf("%w: job access (%d, %d) appears twice", ErrInvalidGenesis, j.DatasetId, j.JobId)
		}
		jobs[jkey{j.DatasetId, j.JobId}] = true
	}
	return nil
}
