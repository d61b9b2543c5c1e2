# aichain: build, test, generate and run a local network.
# The two commands a newcomer needs: `make localnet` and `make test`.

BUILDDIR ?= $(CURDIR)/build
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)

LDFLAGS := -X github.com/cosmos/cosmos-sdk/version.Name=aichain \
	-X github.com/cosmos/cosmos-sdk/version.AppName=aichaind \
	-X github.com/cosmos/cosmos-sdk/version.Version=$(VERSION) \
	-X github.com/cosmos/cosmos-sdk/version.Commit=$(COMMIT)
BUILD_FLAGS := -mod=readonly -trimpath -ldflags '$(LDFLAGS)'

# Ledger support is built in (as the SDK's own Makefile does): `keys add
# --ledger` talks to the device over USB HID (cgo; gcc is enough). Every go
# command run by make, and the binaries the end-to-end tests build, get the
# tag through GOFLAGS, so one build serves the binaries, the tests and vet.
export GOFLAGS := $(strip $(GOFLAGS) -tags=ledger)

# The binaries: the node and the off-chain agents that exist so far.
BINARIES := $(filter-out internal,$(notdir $(wildcard cmd/*)))

.PHONY: bench-provider bench-chain
.PHONY: all build install test test-sim-long test-short bench fuzz lint fmt vet proto-tools proto-gen proto-check \
	clang-tools ptx ptx-check chain-registry relayer localnet-ibc localnet localnet-reset localnet-multi localnet-multi-reset clean

all: build

build:
	@mkdir -p $(BUILDDIR)
	$(GO) build $(BUILD_FLAGS) -o $(BUILDDIR)/ $(addprefix ./cmd/,$(BINARIES))

install:
	$(GO) install $(BUILD_FLAGS) $(addprefix ./cmd/,$(BINARIES))

# Every test, the end-to-end ones too (they build aichaind and run it on free
# loopback ports). go vet runs in `make lint`, with every analyzer: go
# test's own vet, a subset under another configuration, would compute its
# facts for all ~1,700 dependencies again (300 s of CPU on a cold cache).
# ./e2e/ is named first: go test links and runs packages in the order
# named, and the end-to-end tests, the longest package (13 minutes), started
# only once every package before them in ./... had been linked and run, and
# after a separate compile of every test package (go list -export -test,
# dropped: make lint has compiled the dependencies). Named first they start
# within 2 minutes of make test (at most 116 s), where they started about
# 236 s in; the other packages compile and run beside them. Clean-clone CI
# here, 2026-12-07: 1,238 s before, 1,202 s named first, 1,206 s also
# without the separate compile. make test is now bound by the work of its
# two slots together (the end-to-end tests ended a minute or more before the
# last package did), not by when they start. The packages with timing tests
# scaled to a twentieth of real time run beside the end-to-end tests' chains
# at a higher CPU priority where the user may raise it (scripts/test-exec.sh).
test:
	$(GO) test -vet=off -count=1 -parallel 3 -timeout 40m -exec $(CURDIR)/scripts/test-exec.sh ./e2e/ ./...

# Long simulations: 8 seeds × 500 blocks × 200 operations, invariants after
# every block, determinism and import/export (make test runs a short version).
test-sim-long:
	$(GO) test -count=1 -timeout 3h ./app/ -run 'TestAppSimulation$$|TestAppStateDeterminism|TestAppImportExport' -SimLong -v

# Unit tests only: skips the multi-process end-to-end tests.
test-short:
	$(GO) test -short -count=1 ./...

# Benchmarks of the hot paths (one pass each; raise -benchtime to measure).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# Committed tx/s of every message kind against bank send, on a fresh local
# network as `make localnet` makes it (ports from 36756, so a running
# localnet is left alone): BENCH_ACCOUNTS accounts × BENCH_PER_ACCOUNT txs
# per kind, pre-signed and broadcast over gRPC at once. Table, JSON and chart
# (PNG) in build/bench; docs/bench-chain.md explains the columns.
BENCH_ACCOUNTS ?= 200
BENCH_PER_ACCOUNT ?= 50
bench-chain: build
	$(BUILDDIR)/aichain-bench chain --bin $(BUILDDIR) --out $(BUILDDIR)/bench --accounts $(BENCH_ACCOUNTS) --per-account $(BENCH_PER_ACCOUNT)

# The provider agent's capacity benchmark: a fresh local network as `make
# localnet` makes it (on ports from 36656, so a running localnet is left
# alone), BENCH_JOBS gemm jobs in one block against one provider agent on
# the CPU backend, the agent SIGTERMed mid-run and restarted. Table, series
# and chart (PNG) in build/bench.
BENCH_JOBS ?= 500
bench-provider: build
	$(BUILDDIR)/aichain-bench provider --bin $(BUILDDIR) --out $(BUILDDIR)/bench --jobs $(BENCH_JOBS)

# Every fuzz target (func Fuzz... in a *_test.go) for FUZZTIME each, stopping
# at the first failure; `FUZZTIME=2m make fuzz` for a longer run.
FUZZTIME ?= 10s
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '\.pb\(\.gw\)\?\.go$$')

vet:
	$(GO) vet ./...

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\(\.gw\)\?\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# protoc (Debian's protobuf-compiler) and the google/protobuf includes. The
# plugins come from go.mod's tool directives, so their versions are pinned.
proto-tools:
	@command -v protoc >/dev/null && [ -f /usr/include/google/protobuf/descriptor.proto ] || \
		{ echo "installing protoc (apt)"; apt-get update -qq && apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null; }

proto-gen: proto-tools
	./scripts/protocgen.sh

# Regenerate and fail if the committed generated code (Go, gateway routes and
# the OpenAPI files in app/openapi) differs.
proto-check: proto-gen
	@if ! git diff --quiet -- '*.pb.go' '*.pb.gw.go' 'app/openapi/*.swagger.json' || [ -n "$$(git ls-files --others --exclude-standard -- '*.pb.go' '*.pb.gw.go' 'app/openapi/*.swagger.json')" ]; then \
		echo "generated protobuf code or OpenAPI is out of date: run make proto-gen and commit"; \
		git status --short -- '*.pb.go' '*.pb.gw.go' 'app/openapi/*.swagger.json'; exit 1; \
	fi; echo "proto-check: generated code is up to date"

# CUDA kernels to PTX with Debian's clang (no NVIDIA toolkit needed).
clang-tools:
	@command -v clang-19 >/dev/null || { echo "installing clang-19 (apt)"; apt-get update -qq && apt-get install -y -qq clang-19 >/dev/null; }

ptx: clang-tools
	./accel/cuda/gen-ptx.sh

ptx-check: clang-tools
	$(GO) test -count=1 -run TestPTXUpToDate ./accel/cuda/

# A one-validator chain under build/localnet, in the foreground until Ctrl-C.
# Running it again continues the same chain; `make localnet-reset` starts over.
localnet: build
	./scripts/localnet.sh

# The Go relayer, pinned in tools/relayer/go.mod (a module of its own: it
# brings its own SDK and ibc-go versions).
relayer: $(BUILDDIR)/rly
$(BUILDDIR)/rly: tools/relayer/go.mod tools/relayer/go.sum
	@mkdir -p $(BUILDDIR)
	cd tools/relayer && GOFLAGS=-mod=readonly $(GO) build -o $(BUILDDIR)/rly github.com/cosmos/relayer/v2

# Two chains (aichain-a-1, aichain-b-1) and the relayer between them.
localnet-ibc: build relayer
	./scripts/localnet-ibc.sh

# The chain-registry entries (chain.json, assetlist.json) of the localnet and
# of the public testnet template, written from their genesis and config.
chain-registry: build
	./scripts/chain-registry.sh

localnet-reset: build
	LOCALNET_RESET=1 ./scripts/localnet.sh

# Four validators on 127.0.0.1 under build/localnet-multi, each with its own
# sidecar, plus a provider agent and a dataset server; Ctrl-C stops them all.
localnet-multi: build
	VALIDATORS=4 ./scripts/localnet.sh

localnet-multi-reset: build
	VALIDATORS=4 LOCALNET_RESET=1 ./scripts/localnet.sh

clean:
	rm -rf $(BUILDDIR)
