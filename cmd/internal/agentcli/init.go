package agentcli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func (a App) initCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a config file with every setting at its default, commented",
		Long: "Write a TOML config file (--config, default " + a.DefaultConfig() + ") with every setting of " + a.Name + "\n" +
			"at its default and the flag's help above it. Flags given to init are written as their values instead.\n" +
			"Every setting may also come from the environment: " + a.EnvPrefix() + "_<NAME> (dashes as underscores).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			path, _ := fs.GetString("config")
			force, _ := fs.GetBool("force")
			if _, err := os.Stat(path); err == nil && !force {
				return fmt.Errorf("%w: %s exists (use --force to overwrite)", ErrConfig, path)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, []byte(a.Template(fs)), 0o600); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", path)
			return err
		},
	}
	a.addFlags(cmd.Flags())
	cmd.Flags().Bool("force", false, "overwrite an existing config file")
	return cmd
}

// Template is the config file of the flags' current values: every setting
// with its help as a comment.
func (a App) Template(fs *pflag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s configuration (TOML). Every key is a flag of `%s start` (see --help);\n", a.Name, a.Name)
	fmt.Fprintf(&b, "# a flag on the command line wins, then the environment (%s_<KEY>, dashes as\n", a.EnvPrefix())
	b.WriteString("# underscores), then this file, then the default.\n")
	var flags []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" && f.Name != "force" && !f.Hidden {
			flags = append(flags, f)
		}
	})
	sort.SliceStable(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		b.WriteString("\n")
		for _, line := range strings.Split(f.Usage, "\n") {
			b.WriteString("# " + line + "\n")
		}
		fmt.Fprintf(&b, "%s = %s\n", f.Name, tomlValue(f))
	}
	return b.String()
}

// tomlValue writes a flag's value as TOML: booleans and numbers bare,
// repeatable flags as arrays, everything else (durations, coins) quoted.
func tomlValue(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "bool", "int", "int64", "uint", "uint64", "uint32", "int32", "float64":
		return f.Value.String()
	case "stringSlice", "stringArray":
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok {
			return "[]"
		}
		var q []string
		for _, s := range sv.GetSlice() {
			q = append(q, strconv.Quote(s))
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return strconv.Quote(f.Value.String())
}
