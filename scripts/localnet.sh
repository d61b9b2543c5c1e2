#!/usr/bin/env bash
# Runs a one-validator aichain network under build/localnet, in the foreground
# until Ctrl-C. A second run continues the same chain; LOCALNET_RESET=1 (or
# `make localnet-reset`) deletes it and starts a new one.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILDDIR=${BUILDDIR:-$PWD/build}
BIN=$BUILDDIR/aichaind
ROOT=$BUILDDIR/localnet
HOME_DIR=$ROOT/node0
CHAIN_ID=aichain-local-1
KEYS=(alice bob provider)

[ -x "$BIN" ] || { echo "missing $BIN: run make build" >&2; exit 1; }

if [ "${LOCALNET_RESET:-0}" = 1 ] && [ -d "$ROOT" ]; then
  echo "LOCALNET_RESET=1: deleting $ROOT"
  rm -rf "$ROOT"
fi

if [ -f "$HOME_DIR/config/genesis.json" ]; then
  echo "Reusing the chain in $ROOT (it continues from its last block)."
  echo "To start over: make localnet-reset"
else
  echo "Creating a new chain in $ROOT"
  "$BIN" testnet init-files --v 1 --output-dir "$ROOT" --chain-id "$CHAIN_ID" \
    --keyring-backend test --funded-keys "$(IFS=,; echo "${KEYS[*]}")" \
    --block-time 1s --minimum-gas-prices 0uaic --verifier-port 9191 >/dev/null
fi

addr() { "$BIN" keys show "$1" -a --keyring-backend test --home "$HOME_DIR"; }

cat <<INFO

aichain localnet (chain-id $CHAIN_ID)
  home      $HOME_DIR
  RPC       http://127.0.0.1:26657
  gRPC      127.0.0.1:9090  (reflection on: grpcurl -plaintext 127.0.0.1:9090 list)
  REST      http://127.0.0.1:1317
  keys (keyring-backend test, --home $HOME_DIR):
    validator $(addr node0)  (key name node0)
INFO
for k in "${KEYS[@]}"; do printf '    %-9s %s\n' "$k" "$(addr "$k")"; done
cat <<INFO

Beside the node (logs under $ROOT/logs):
  verifier sidecar  gRPC 127.0.0.1:9191, metrics http://127.0.0.1:9192/metrics   (logs/sidecar.log)
  provider agent    key provider, chunks http://127.0.0.1:8081, metrics /metrics  (logs/provider.log)
  dataset server    http://127.0.0.1:8090, serves .npy files put in $HOME_DIR/datasets (logs/dataserver.log)

Try: $BIN q bank balances \$($BIN keys show alice -a --keyring-backend test --home $HOME_DIR) --home $HOME_DIR

Starting the node; Ctrl-C stops everything.
INFO

mkdir -p "$ROOT/logs" "$HOME_DIR/datasets"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BUILDDIR/aichain-sidecar" --node 127.0.0.1:9090 --listen 127.0.0.1:9191 --metrics 127.0.0.1:9192 \
  --backend auto >>"$ROOT/logs/sidecar.log" 2>&1 &
pids+=($!)
"$BUILDDIR/aichain-provider" --node 127.0.0.1:9090 --chain-id "$CHAIN_ID" --home "$HOME_DIR" \
  --keyring-backend test --from provider --data-dir "$ROOT/provider" --listen 127.0.0.1:8081 \
  --backend auto --moniker localnet-provider >>"$ROOT/logs/provider.log" 2>&1 &
pids+=($!)

"$BUILDDIR/aichain-dataserver" --node 127.0.0.1:9090 --listen 127.0.0.1:8090 \
  --data-dir "$HOME_DIR/datasets" >>"$ROOT/logs/dataserver.log" 2>&1 &
pids+=($!)

"$BIN" start --home "$HOME_DIR" &
pids+=($!)
wait "${pids[-1]}"
