package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the compute module's name, store key and module account.
	ModuleName = "compute"
	// StoreKey is the compute module's KV store key.
	StoreKey = ModuleName
)

var (
	// ParamsKey holds the module's Params.
	ParamsKey = collections.NewPrefix(0)
	// ProvidersKey holds providers by address.
	ProvidersKey = collections.NewPrefix(1)
	// ProvidersByStatusKey indexes providers by (status, address).
	ProvidersByStatusKey = collections.NewPrefix(2)
	// JobSeqKey is the job id sequence.
	JobSeqKey = collections.NewPrefix(3)
	// JobsKey holds jobs by id.
	JobsKey = collections.NewPrefix(4)
	// JobsByStateKey indexes jobs by (state, id).
	JobsByStateKey = collections.NewPrefix(5)
	// JobsByRequesterKey indexes jobs by (requester, id).
	JobsByRequesterKey = collections.NewPrefix(6)
	// JobsByProviderKey indexes awarded jobs by (winner, id); a job not
	// awarded has no entry (version 6; version 5 kept one under "").
	JobsByProviderKey = collections.NewPrefix(7)
	// BidCommitsKey holds commitments by (job id, provider).
	BidCommitsKey = collections.NewPrefix(8)
	// BidsKey holds revealed bids by (job id, provider).
	BidsKey = collections.NewPrefix(9)
	// CommitEndQueueKey is the (height, job id) queue of commit-phase ends.
	CommitEndQueueKey = collections.NewPrefix(10)
	// RevealEndQueueKey is the (height, job id) queue of reveal-phase ends (auction close).
	RevealEndQueueKey = collections.NewPrefix(11)
	// ExecDeadlineQueueKey is the (height, job id) queue of execution deadlines.
	ExecDeadlineQueueKey = collections.NewPrefix(12)
	// ChallengeEndQueueKey is the (height, job id) queue of challenge-window ends.
	ChallengeEndQueueKey = collections.NewPrefix(13)
	// VerificationEndQueueKey is the (height, job id) queue of verification-window ends.
	VerificationEndQueueKey = collections.NewPrefix(14)
	// SampleQueueKey is the (submission height, job id) queue of sampling draws, run in the next block.
	SampleQueueKey = collections.NewPrefix(15)
	// UnbondingQueueKey is the (height, provider) queue of bond returns.
	UnbondingQueueKey = collections.NewPrefix(16)
	// TalliesKey holds the verdict tally of each VERIFYING job.
	TalliesKey = collections.NewPrefix(17)
	// VotersKey records (job id, consensus address) pairs that already voted.
	VotersKey = collections.NewPrefix(18)
	// StatsKey holds the module's running Stats.
	StatsKey = collections.NewPrefix(19)
	// PruneQueueKey is the (height, job id) queue of terminal jobs to prune
	// (closed_height + retention_blocks).
	PruneQueueKey = collections.NewPrefix(20)
	// PendingChecksKey holds the ids of the jobs the sidecars check
	// (VERIFYING or ABORTING), which PendingVerifications pages.
	PendingChecksKey = collections.NewPrefix(21)
	// BeaconKeysKey holds validators' beacon keys by consensus address
	// (40+: prefixes 22-39 are left to other features).
	BeaconKeysKey = collections.NewPrefix(40)
	// BeaconKeyOwnersKey maps a beacon public key to its consensus address.
	BeaconKeyOwnersKey = collections.NewPrefix(41)
	// BeaconRoundsKey holds the validator set of each height whose beacon is open.
	BeaconRoundsKey = collections.NewPrefix(42)
	// BeaconSharesKey holds the verified shares by (height, consensus address).
	BeaconSharesKey = collections.NewPrefix(43)
	// BeaconsKey holds final beacons by height (pruned after BeaconRetentionBlocks).
	BeaconsKey = collections.NewPrefix(44)
	// QueueHeadsKey holds each due-queue's head (see modkit.QueueHeads).
	QueueHeadsKey = collections.NewPrefix(45)
	// BeaconKeyCountKey holds how many validators have a beacon key (the
	// entries of BeaconKeysKey), so that a submission learns whether draws
	// wait for the beacon by one point read.
	BeaconKeyCountKey = collections.NewPrefix(46)
	// SetSizeKey holds the number of validators of the last injected
	// commit's set: the verdicts a job under check can get, which the
	// messages putting jobs under check pay for (types.VerdictBlockGas).
	SetSizeKey = collections.NewPrefix(47)
	// LastRoundKey holds the height of the last beacon round opened and
	// whether validators with a key held more than 2/3 of its power, so
	// that a submission learns whether draws wait for the beacon by one
	// small read (not the round's whole voter list).
	LastRoundKey = collections.NewPrefix(48)
	// CountedKey holds the counted verdicts of a job under check with a
	// verification fee, by job, counting height and consensus address (the
	// order they are paid in): one small entry a verdict, not a
	// growing list in the job's record rewritten at every verdict.
	CountedKey = collections.NewPrefix(49)
	// BeaconRestartTagKey holds the chain's beacon restart tag, set by a
	// zero-height export (BeaconRestartTag; absent on a chain never
	// restarted), which every beacon share signs.
	BeaconRestartTagKey = collections.NewPrefix(50)
	// BeaconLaunchKey holds the launch tag of the run of the chain (set by
	// every InitGenesis from its genesis time and initial height; not
	// exported), which every beacon share signs with the restart tag
	// (BeaconSigningTag).
	BeaconLaunchKey = collections.NewPrefix(51)
	// ModelBondsKey maps a model owner's address to its availability bond
	// (ModelBond).
	ModelBondsKey = collections.NewPrefix(52)
	// VerifierEndpointsKey maps a validator's operator address (bytes) to
	// the public base URL of its verification sidecar
	// (MsgSetVerifierEndpoint).
	VerifierEndpointsKey = collections.NewPrefix(53)
)
