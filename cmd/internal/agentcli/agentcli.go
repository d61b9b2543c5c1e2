// Package agentcli gives aichain's three off-chain agents (aichain-provider,
// aichain-sidecar, aichain-dataserver) the same command line as aichaind's:
// cobra commands, flags that may also come from environment variables
// (AICHAIN_<AGENT>_<FLAG>, dashes as underscores) or a TOML config file
// (--config; `init` writes one with every default, commented), `version`,
// and structured logs (--log-format text|json, --log-level).
//
// Precedence: a flag given on the command line, then the environment, then
// the config file, then the flag's default.
package agentcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/cosmos/cosmos-sdk/version"
)

// App is one agent's command line.
type App struct {
	// Name is the binary's name, e.g. "aichain-provider".
	Name string
	// Short and Long describe it.
	Short, Long string
	// Flags registers the agent's flags (besides --config, --log-level and
	// --log-format).
	Flags func(fs *pflag.FlagSet)
	// Run runs the agent until ctx ends (SIGINT or SIGTERM); the flags hold
	// the merged configuration.
	Run func(ctx context.Context, fs *pflag.FlagSet, log *slog.Logger) error
	// Commands are extra subcommands.
	Commands []*cobra.Command
}

// EnvPrefix is the app's environment prefix: AICHAIN_PROVIDER for
// aichain-provider.
func (a App) EnvPrefix() string {
	return strings.ToUpper(strings.ReplaceAll(a.Name, "-", "_"))
}

// DefaultConfig is ~/.<name>/config.toml.
func (a App) DefaultConfig() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, "."+a.Name, "config.toml")
}

// Command returns the root command: it runs the agent (as does `start`),
// and has `init` and `version`.
func (a App) Command() *cobra.Command {
	root := &cobra.Command{Use: a.Name, Short: a.Short, Long: a.Long, SilenceUsage: true, Args: cobra.NoArgs}
	a.addFlags(root.Flags())
	root.RunE = func(cmd *cobra.Command, _ []string) error { return a.start(cmd) }
	start := &cobra.Command{Use: "start", Short: "Run " + a.Name + " (the same as running it without a command)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.start(cmd) }}
	a.addFlags(start.Flags())
	root.AddCommand(start, a.initCommand(), versionCommand(a.Name))
	root.AddCommand(a.Commands...)
	return root
}

func (a App) addFlags(fs *pflag.FlagSet) {
	fs.String("config", a.DefaultConfig(), "TOML config file (missing: flags, environment and defaults only)")
	fs.String("log-level", "info", "log level: debug | info | warn | error")
	fs.String("log-format", "text", "log format: text | json")
	a.Flags(fs)
}

// ErrConfig is a configuration that cannot be read or used.
var ErrConfig = errors.New("configuration")

// Merge fills every flag not given on the command line from the
// environment, then from the config file.
func (a App) Merge(fs *pflag.FlagSet) error {
	path, err := fs.GetString("config")
	if err != nil {
		return err
	}
	v := viper.New()
	v.SetConfigType("toml")
	v.SetEnvPrefix(a.EnvPrefix())
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if env := os.Getenv(a.EnvPrefix() + "_CONFIG"); env != "" && !fs.Changed("config") {
		path = env
	}
	if f, err := os.Open(path); err == nil {
		err = v.ReadConfig(f)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) || fs.Changed("config") {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "config" || !v.IsSet(f.Name) {
			return
		}
		for _, val := range values(v, f) {
			if err := fs.Set(f.Name, val); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s = %q: %v", ErrConfig, f.Name, val, err))
			}
		}
	})
	return errors.Join(errs...)
}

// values returns a setting as the strings to Set a flag with (one per
// element for a repeatable flag).
func values(v *viper.Viper, f *pflag.Flag) []string {
	switch f.Value.Type() {
	case "stringSlice", "stringArray":
		if s, ok := v.Get(f.Name).(string); ok { // from the environment: comma-separated
			return strings.Split(s, ",")
		}
		return v.GetStringSlice(f.Name)
	}
	return []string{v.GetString(f.Name)}
}

func (a App) start(cmd *cobra.Command) error {
	fs := cmd.Flags()
	if err := a.Merge(fs); err != nil {
		return err
	}
	log, err := Logger(fs, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return a.Run(ctx, fs, log)
}

// Logger returns the logger the flags ask for.
func Logger(fs *pflag.FlagSet, w io.Writer) (*slog.Logger, error) {
	levelText, _ := fs.GetString("log-level")
	format, _ := fs.GetString("log-format")
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelText)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q", ErrConfig, levelText)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%w: --log-format %q (want text or json)", ErrConfig, format)
}

func versionCommand(name string) *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, commit := version.Version, version.Commit
			if v == "" {
				v = "dev"
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s (commit %s, %s %s/%s)\n", name, v, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		}}
}
