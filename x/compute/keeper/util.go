package keeper

import (
	"errors"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/compute/types"
)

func isNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }

// IsTerminal reports whether a job state is final.
func IsTerminal(s types.JobState) bool { return s.IsTerminal() }

// holdsWinnerCollateral reports whether the job's winner collateral is locked.
func holdsWinnerCollateral(s types.JobState) bool {
	switch s {
	case types.JobState_JOB_STATE_ASSIGNED, types.JobState_JOB_STATE_SUBMITTED, types.JobState_JOB_STATE_VERIFYING:
		return true
	}
	return false
}
