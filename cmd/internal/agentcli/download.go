package agentcli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/aichain/aichain/jobexec"
)

// DownloadFlags registers the flags of how an agent downloads the model
// weights and datasets named on chain (jobexec.FetchPolicy): the provider
// and the sidecar share them. An operator behind a slow link lowers
// --download-avg-rate (or raises --download-timeout) so that its honest
// large files finish; each step down lets a slow server hold a download
// longer (a server averaging r < avg-rate is cut off at timeout/(1 − r/avg)).
func DownloadFlags(fs *pflag.FlagSet) {
	d := jobexec.FetchDefaults()
	fs.Duration("download-timeout", d.Timeout, "time a model or dataset download may take whatever its size; past it, it goes on only while it has averaged --download-avg-rate since its first request")
	fs.Int64("download-avg-rate", d.AvgRate, "bytes per second a download past --download-timeout must have averaged (a file of n bytes has the timeout + n / this rate)")
	fs.Int64("download-min-rate", d.MinRate, "bytes per second a download must bring in every --download-rate-window, else it is cut off (a server that trickles or stalls)")
	fs.Duration("download-rate-window", d.RateWindow, "the window --download-min-rate is measured over")
}

// DownloadPolicy is the fetch policy the flags of DownloadFlags give, with
// local (loopback, private and file:// sources allowed). A value not above
// zero is refused: zero would silently mean the default.
func DownloadPolicy(fs *pflag.FlagSet, local bool) (jobexec.FetchPolicy, error) {
	p := jobexec.FetchPolicy{AllowLocal: local}
	var err error
	if p.Timeout, err = fs.GetDuration("download-timeout"); err != nil {
		return p, err
	}
	if p.RateWindow, err = fs.GetDuration("download-rate-window"); err != nil {
		return p, err
	}
	if p.AvgRate, err = fs.GetInt64("download-avg-rate"); err != nil {
		return p, err
	}
	if p.MinRate, err = fs.GetInt64("download-min-rate"); err != nil {
		return p, err
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"download-timeout", int64(p.Timeout)}, {"download-avg-rate", p.AvgRate},
		{"download-min-rate", p.MinRate}, {"download-rate-window", int64(p.RateWindow)}} {
		if f.v <= 0 {
			return p, fmt.Errorf("%w: --%s must be above zero", ErrConfig, f.name)
		}
	}
	return p, nil
}
