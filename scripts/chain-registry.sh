#!/usr/bin/env bash
# Regenerates chain-registry/{localnet,testnet}/{chain,assetlist}.json with
# `aichaind chain-registry`, each from a genesis and config that
# `aichaind testnet init-files` writes as `make localnet` does. The same
# arguments are in cmd/aichaind/cmd/registry_test.go, which fails when the
# committed files differ from what this writes.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/aichaind}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$BIN" testnet init-files --v 1 --output-dir "$tmp/local" --chain-id aichain-local-1 \
  --keyring-backend test --minimum-gas-prices 0uaic >/dev/null
"$BIN" chain-registry --home "$tmp/local/node0" --chain-name aichainlocal --pretty-name "aichain localnet" \
  --network-type devnet --status live --out chain-registry/localnet

"$BIN" testnet init-files --v 1 --output-dir "$tmp/testnet" --chain-id aichain-testnet-1 \
  --keyring-backend test --minimum-gas-prices 0.025uaic >/dev/null
"$BIN" chain-registry --home "$tmp/testnet/node0" --chain-name aichaintestnet --pretty-name "aichain testnet" \
  --network-type testnet --status upcoming \
  --public-rpc https://rpc.testnet.aichain.example --public-rest https://rest.testnet.aichain.example \
  --public-grpc grpc.testnet.aichain.example:443 --out chain-registry/testnet
echo "chain-registry: wrote chain-registry/localnet and chain-registry/testnet"
