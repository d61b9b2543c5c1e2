// Command aichain-dataserver serves dataset files registered on aichain's
// x/datamarket to requests signed by accounts that hold a valid licence (or
// own the dataset, or run a job that uses it). See package dataserver for the
// protocol.
//
//	aichain-dataserver --node 127.0.0.1:9090 --listen 127.0.0.1:8090 \
//	    --data-dir ~/.aichain/datasets            # serve any listed file found here, by sha256
//	    --dataset 1=/data/iris.npy                # and/or explicit files, checked at start
//	aichain-dataserver --write-example example.npy   # a small dataset to try the market with
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/workload"
)

// writeExample writes a deterministic 64×4 float32 dataset, for trying the
// market on a local chain.
func writeExample(path string) error {
	m := &workload.Matrix{Rows: 64, Cols: 4, Data: make([]float32, 64*4)}
	for i := range m.Data {
		m.Data[i] = workload.UnitFloat(workload.SplitMixAt(2026, uint64(i)))
	}
	data, err := workload.EncodeNPY(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: 64×4 float32, sha256 %s\n", path, workload.SHA256Hex(data))
	return nil
}

// writeExampleModel writes a seeded mlp-f32 model, 4 inputs → 8 (ReLU) → 2,
// so that the example dataset can run through it as an mlp job.
func writeExampleModel(path string) error {
	fill := func(n int, seed uint64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = workload.UnitFloat(workload.SplitMixAt(seed, uint64(i)))
		}
		return v
	}
	m := &workload.Model{Layers: []workload.Layer{
		{In: 4, Out: 8, Weight: fill(32, 11), Bias: fill(8, 12)},
		{In: 8, Out: 2, Weight: fill(16, 13), Bias: fill(2, 14)},
	}}
	data, err := workload.EncodeSafetensors(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: mlp-f32 4→8→2, sha256 %s\n", path, workload.SHA256Hex(data))
	return nil
}

type datasetFlag map[uint64]string

func (d datasetFlag) String() string { return fmt.Sprint(map[uint64]string(d)) }

func (d datasetFlag) Set(s string) error {
	id, path, ok := strings.Cut(s, "=")
	if !ok {
		return errors.New("expected ID=PATH")
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return fmt.Errorf("dataset id %q is not a positive integer", id)
	}
	if _, err := os.Stat(path); err != nil {
		return err
	}
	d[n] = path
	return nil
}

func main() {
	datasets := datasetFlag{}
	node := flag.String("node", "127.0.0.1:9090", "gRPC address of an aichaind node")
	listen := flag.String("listen", "127.0.0.1:8090", "address to serve HTTP on")
	dataDir := flag.String("data-dir", "", "directory scanned for .npy files, matched to datasets by sha256")
	window := flag.Duration("window", 60*time.Second, "how old a signed request may be; nonces are remembered as long")
	flag.Var(datasets, "dataset", "ID=PATH: serve this file as dataset ID (repeatable; checked against the chain at start)")
	example := flag.String("write-example", "", "write a small example dataset (64×4 float32 .npy) to this file and exit")
	exampleModel := flag.String("write-example-model", "", "write a small example model (mlp-f32 4→8→2, .safetensors) that fits the example dataset, and exit")
	flag.Parse()

	logger := log.New(os.Stderr, "aichain-dataserver: ", log.LstdFlags)
	if *example != "" || *exampleModel != "" {
		if *example != "" {
			if err := writeExample(*example); err != nil {
				logger.Fatal(err)
			}
		}
		if *exampleModel != "" {
			if err := writeExampleModel(*exampleModel); err != nil {
				logger.Fatal(err)
			}
		}
		return
	}
	if len(datasets) == 0 && *dataDir == "" {
		logger.Fatal("nothing to serve: give --data-dir and/or --dataset ID=PATH")
	}
	if *dataDir != "" {
		if st, err := os.Stat(*dataDir); err != nil || !st.IsDir() {
			logger.Fatalf("--data-dir %s is not a directory", *dataDir)
		}
	}
	chain, err := dataserver.DialChain(*node)
	if err != nil {
		logger.Fatal(err)
	}
	defer chain.Close()
	srv, err := dataserver.New(dataserver.Config{
		Chain: chain, Datasets: datasets, DataDir: *dataDir, Window: *window, Logger: logger,
	})
	if err != nil {
		logger.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	err = srv.Preload(ctx)
	cancel()
	if err != nil {
		logger.Fatalf("refusing to start: %v", err)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		logger.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	logger.Printf("listening on http://%s (node %s, data dir %q, %d explicit datasets)", ln.Addr(), *node, *dataDir, len(datasets))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Fatal(err)
	}
}
