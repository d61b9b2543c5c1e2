package types

import protov1 "github.com/golang/protobuf/proto" //nolint:staticcheck // the gRPC gateway (v1) reads enums from this registry

// The gRPC gateway parses enum query parameters (?state=JOB_STATE_OPEN) with
// golang/protobuf's enum registry, which gogoproto's registration does not
// reach; without this only numbers (?state=1) would be accepted.
func init() {
	for name, values := range map[string]map[string]int32{
		"aichain.compute.v1.JobState":       JobState_value,
		"aichain.compute.v1.ProviderStatus": ProviderStatus_value,
	} {
		if protov1.EnumValueMap(name) == nil {
			protov1.RegisterEnum(name, nil, values)
		}
	}
}
