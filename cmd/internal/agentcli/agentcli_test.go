package agentcli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func testApp(got *map[string]any) App {
	return App{
		Name: "aichain-test",
		Flags: func(fs *pflag.FlagSet) {
			fs.String("node", "127.0.0.1:9090", "gRPC address of a node")
			fs.Int("workers", 2, "workers")
			fs.Bool("local-network", false, "allow loopback")
			fs.StringArray("owner", nil, "owners (repeatable)")
		},
		Run: func(_ context.Context, fs *pflag.FlagSet, _ *slog.Logger) error {
			node, _ := fs.GetString("node")
			workers, _ := fs.GetInt("workers")
			local, _ := fs.GetBool("local-network")
			owners, _ := fs.GetStringArray("owner")
			*got = map[string]any{"node": node, "workers": workers, "local": local, "owners": strings.Join(owners, ",")}
			return nil
		},
	}
}

// init writes every default; the file, then the environment, then a flag
// override it, in that order.
func TestConfigPrecedence(t *testing.T) {
	var got map[string]any
	app := testApp(&got)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	root := app.Command()
	root.SetArgs([]string{"init", "--config", cfg, "--workers", "3"})
	root.SetOut(&bytes.Buffer{})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# gRPC address of a node\nnode = \"127.0.0.1:9090\"", "workers = 3", "local-network = false", "owner = []", `log-format = "text"`} {
		if !strings.Contains(string(text), want) {
			t.Fatalf("config lacks %q:\n%s", want, text)
		}
	}
	edited := strings.Replace(string(text), `node = "127.0.0.1:9090"`, `node = "10.0.0.1:9090"`, 1)
	edited = strings.Replace(edited, "owner = []", `owner = ["aic1a", "aic1b"]`, 1)
	if err := os.WriteFile(cfg, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(env map[string]string, args ...string) map[string]any {
		for k, v := range env {
			t.Setenv(k, v)
		}
		root := app.Command()
		root.SetArgs(append([]string{"--config", cfg}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if g := run(nil); g["node"] != "10.0.0.1:9090" || g["workers"] != 3 || g["owners"] != "aic1a,aic1b" {
		t.Fatalf("from the file: %v", g)
	}
	if g := run(map[string]string{"AICHAIN_TEST_WORKERS": "5", "AICHAIN_TEST_LOCAL_NETWORK": "true"}); g["workers"] != 5 || g["local"] != true {
		t.Fatalf("from the environment: %v", g)
	}
	if g := run(nil, "--workers", "7", "--owner", "aic1c"); g["workers"] != 7 || g["owners"] != "aic1c" {
		t.Fatalf("from flags: %v", g)
	}
	root = app.Command()
	root.SetArgs([]string{"init", "--config", cfg})
	if err := root.Execute(); err == nil {
		t.Fatal("init overwrote an existing config")
	}
}

func TestVersionAndLogFormat(t *testing.T) {
	var got map[string]any
	root := testApp(&got).Command()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil || !strings.HasPrefix(out.String(), "aichain-test ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("log-level", "info", "")
	fs.String("log-format", "json", "")
	var buf bytes.Buffer
	log, err := Logger(fs, &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "k", 1)
	if !strings.HasPrefix(buf.String(), `{"time":`) {
		t.Fatalf("json log: %q", buf.String())
	}
}
