package ve

import (
	"time"

	"github.com/spf13/cast"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
)

// DefaultTimeout is how long ExtendVote waits for the sidecar by default.
const DefaultTimeout = 300 * time.Millisecond

// Config is the [verifier] section of app.toml.
type Config struct {
	// Address is the sidecar's gRPC address (host:port); empty means no
	// sidecar: the node votes with empty extensions.
	Address string `mapstructure:"address"`
	// Timeout bounds each ExtendVote call to the sidecar.
	Timeout time.Duration `mapstructure:"timeout"`
}

// DefaultConfig has no sidecar: a production node opts in.
func DefaultConfig() Config { return Config{Timeout: DefaultTimeout} }

// ConfigTemplate is appended to app.toml's template.
const ConfigTemplate = `
###############################################################################
###                      Verifier sidecar (aichain)                         ###
###############################################################################

[verifier]

# gRPC address (host:port) of this validator's aichain-sidecar, which checks
# sampled compute results. Empty: no sidecar; the node then votes with empty
# vote extensions and the chain stays live without it.
address = "{{ .Verifier.Address }}"

# How long ExtendVote waits for the sidecar's ready verdicts before voting
# with an empty extension. Keep it well under the precommit timeout.
timeout = "{{ .Verifier.Timeout }}"
`

// ReadConfig reads the [verifier] section from the node's app options.
func ReadConfig(opts servertypes.AppOptions) Config {
	cfg := DefaultConfig()
	if opts == nil {
		return cfg
	}
	cfg.Address = cast.ToString(opts.Get("verifier.address"))
	if t := cast.ToDuration(opts.Get("verifier.timeout")); t > 0 {
		cfg.Timeout = t
	}
	return cfg
}
