package types

import (
	"reflect"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// liveParams are the params a job does not keep as terms, each read live
// for a reason of its own: they bound or price an action when it is taken
// (the job records what it took: its windows, creation_fee,
// protocol_fee_bps), belong to a provider rather than a job, or pace the
// chain's own queues. Every other param is a term (JobParamTerms, the same
// field name), so that a governance change reaches no running job
// (TestEveryParamIsATermOrLive).
var liveParams = map[string]string{
	"MinProviderBond":          "a provider's registration, not a job's (its denom cannot change while providers or jobs exist)",
	"CloseBatchSize":           "the chain's queue pace",
	"MinCommitBlocks":          "bounds a new job's windows, which the job records",
	"MaxCommitBlocks":          "bounds a new job's windows, which the job records",
	"MinRevealBlocks":          "bounds a new job's windows, which the job records",
	"MaxRevealBlocks":          "bounds a new job's windows, which the job records",
	"MinExecBlocks":            "bounds a new job's windows, which the job records",
	"MaxExecBlocks":            "bounds a new job's windows, which the job records",
	"ProtocolFeeBps":           "the job records it (protocol_fee_bps)",
	"JobCreationFee":           "the job records it (creation_fee)",
	"MaxChunkCount":            "admits a new job",
	"VerificationFeePerSample": "prices a new job's assurance, whose fee the job records (verification_fee)",
	"AllowedDenoms":            "admits a new job (its denom is recorded with its price)",
	"UnbondingBlocks":          "a provider's unbonding, not a job's",
	"MaxQueueItemsPerBlock":    "the chain's queue pace",
	"RetentionBlocks":          "how long an ended job is kept, owing nothing",
	"BeaconWindowBlocks":       "the randomness beacon's rounds, shared by all jobs",
	"VerdictGraceBlocks":       "consensus pacing of verdicts, harmless past a window (JobParamTerms.Validate)",
}

// TestEveryParamIsATermOrLive: every field of Params is either a job term
// (a JobParamTerms field of the same name, which Under puts in place of the
// param) or read live for a stated reason (liveParams). timeout_jail_threshold
// was neither until a governance cut jailed winners on a first timeout
// (TestAttackParamsJailThresholdCutUnderRunningJob): a param added later
// fails here until it is classed.
func TestEveryParamIsATermOrLive(t *testing.T) {
	terms := reflect.TypeOf(JobParamTerms{})
	params := reflect.TypeOf(Params{})
	for i := 0; i < params.NumField(); i++ {
		name := params.Field(i).Name
		_, isTerm := terms.FieldByName(name)
		why, isLive := liveParams[name]
		switch {
		case isTerm && isLive:
			t.Errorf("param %s is both a job term and listed as live (%s)", name, why)
		case !isTerm && !isLive:
			t.Errorf("param %s is neither a job term (JobParamTerms) nor listed in liveParams with its reason: "+
				"a governance change of it reaches running jobs", name)
		}
	}
	for name := range liveParams {
		if _, ok := params.FieldByName(name); !ok {
			t.Errorf("liveParams lists %s, which is no param", name)
		}
	}
}

// TestUnderPutsEveryTermInPlace: for every term that is also a param, Under
// gives the term's value, not the params': terms whose every field differs
// from the params' (set by reflection, so a term added to the proto but not
// to Under fails here).
func TestUnderPutsEveryTermInPlace(t *testing.T) {
	p := DefaultParams()
	var terms JobParamTerms
	tv := reflect.ValueOf(&terms).Elem()
	pv := reflect.ValueOf(p)
	for i := 0; i < tv.NumField(); i++ {
		f := tv.Field(i)
		pf := pv.FieldByName(tv.Type().Field(i).Name)
		if !pf.IsValid() || !f.CanSet() {
			continue // a term of no param (the fee cuts)
		}
		switch f.Kind() {
		case reflect.Uint32, reflect.Uint64:
			f.SetUint(pf.Uint() + 7)
		case reflect.Struct:
			c, ok := pf.Interface().(sdk.Coin)
			if !ok {
				t.Fatalf("term %s: unhandled type %s", tv.Type().Field(i).Name, f.Type())
			}
			f.Set(reflect.ValueOf(sdk.NewCoin(c.Denom, c.Amount.Add(sdkmath.NewInt(7)))))
		default:
			t.Fatalf("term %s: unhandled kind %s", tv.Type().Field(i).Name, f.Kind())
		}
	}
	under := reflect.ValueOf(terms.Under(p))
	for i := 0; i < tv.NumField(); i++ {
		name := tv.Type().Field(i).Name
		got := under.FieldByName(name)
		if !got.IsValid() {
			continue
		}
		if !reflect.DeepEqual(got.Interface(), tv.Field(i).Interface()) {
			t.Errorf("Under leaves param %s at %v, the job's term is %v", name, got.Interface(), tv.Field(i).Interface())
		}
	}
}
