package agentcli

import (
	"errors"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/aichain/aichain/jobexec"
)

// The download flags default to the fetch policy's defaults, set its fields
// (through the environment as any flag), and refuse a value not above zero,
// which the policy would silently read as its default.
func TestDownloadFlags(t *testing.T) {
	app := App{Name: "aichain-test", Flags: DownloadFlags}
	parse := func(args ...string) (jobexec.FetchPolicy, error) {
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		fs.String("config", "", "")
		DownloadFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := app.Merge(fs); err != nil {
			t.Fatal(err)
		}
		return DownloadPolicy(fs, true)
	}
	p, err := parse()
	d := jobexec.FetchDefaults()
	if err != nil || p.Timeout != d.Timeout || p.AvgRate != d.AvgRate || p.MinRate != d.MinRate || p.RateWindow != d.RateWindow || !p.AllowLocal {
		t.Fatalf("defaults: %+v, %v", p, err)
	}
	t.Setenv("AICHAIN_TEST_DOWNLOAD_AVG_RATE", "1048576")
	p, err = parse("--download-timeout", "10m", "--download-min-rate", "32768", "--download-rate-window", "20s")
	if err != nil || p.Timeout != 10*time.Minute || p.AvgRate != 1<<20 || p.MinRate != 32<<10 || p.RateWindow != 20*time.Second {
		t.Fatalf("set: %+v, %v", p, err)
	}
	// A 1 GiB file at 1 MiB/s average: 10 minutes and 1,024 s.
	if got, want := p.BodyTime(1<<30), 10*time.Minute+1024*time.Second; got != want {
		t.Fatalf("BodyTime(1 GiB) = %v, want %v", got, want)
	}
	for _, bad := range [][]string{{"--download-timeout", "0s"}, {"--download-avg-rate", "0"}, {"--download-min-rate", "-1"},
		{"--download-rate-window", "-5s"}} {
		if _, err := parse(bad...); !errors.Is(err, ErrConfig) {
			t.Fatalf("%v: %v, want ErrConfig", bad, err)
		}
	}
}
