#!/usr/bin/env bash
# Runs a local aichain network in the foreground until Ctrl-C: VALIDATORS
# validators (default 1) on 127.0.0.1, each with its own verifier sidecar,
# plus one provider agent and one dataset server. One validator lives under
# build/localnet (`make localnet`), four under build/localnet-multi
# (`make localnet-multi`). A second run continues the same chain;
# LOCALNET_RESET=1 (or `make localnet-reset`) deletes it and starts anew.
#
# Node i listens on node0's ports + 10*i: P2P 26656, RPC 26657, gRPC 9090,
# REST 1317; its sidecar on 9191 (gRPC) and 9192 (metrics).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILDDIR=${BUILDDIR:-$PWD/build}
BIN=$BUILDDIR/aichaind
N=${VALIDATORS:-1}
if [ "$N" = 1 ]; then ROOT=${LOCALNET_DIR:-$BUILDDIR/localnet}; else ROOT=${LOCALNET_DIR:-$BUILDDIR/localnet-multi}; fi
HOME_DIR=$ROOT/node0
CHAIN_ID=aichain-local-1
KEYS=(alice bob provider)
STEP=10

[ -x "$BIN" ] || { echo "missing $BIN: run make build" >&2; exit 1; }
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "VALIDATORS must be a positive number, got $N" >&2; exit 1; }

if [ "${LOCALNET_RESET:-0}" = 1 ] && [ -d "$ROOT" ]; then
  echo "LOCALNET_RESET=1: deleting $ROOT"
  rm -rf "$ROOT"
fi

if [ -f "$HOME_DIR/config/genesis.json" ]; then
  have=$(ls -d "$ROOT"/node* | wc -l)
  [ "$have" = "$N" ] || { echo "$ROOT holds $have validators, not $N: run with LOCALNET_RESET=1" >&2; exit 1; }
  echo "Reusing the chain in $ROOT (it continues from its last block)."
  echo "To start over: make localnet-reset (or LOCALNET_RESET=1)"
else
  echo "Creating a new chain of $N validator(s) in $ROOT"
  "$BIN" testnet init-files --v "$N" --output-dir "$ROOT" --chain-id "$CHAIN_ID" \
    --keyring-backend test --funded-keys "$(IFS=,; echo "${KEYS[*]}")" \
    --block-time 1s --minimum-gas-prices 0uaic --verifier-port 9191 --prometheus-port 26660 --port-step $STEP >/dev/null
fi

addr() { "$BIN" keys show "$1" -a --keyring-backend test --home "$HOME_DIR"; }

echo
echo "aichain localnet (chain-id $CHAIN_ID), $N validator(s), logs under $ROOT/logs"
for ((i = 0; i < N; i++)); do
  d=$((STEP * i))
  printf '  node%d  home %s\n         RPC http://127.0.0.1:%d  gRPC 127.0.0.1:%d  REST http://127.0.0.1:%d  sidecar 127.0.0.1:%d\n' \
    "$i" "$ROOT/node$i" $((26657 + d)) $((9090 + d)) $((1317 + d)) $((9191 + d))
  printf '         metrics: CometBFT http://127.0.0.1:%d/metrics, SDK http://127.0.0.1:%d/metrics?format=prometheus\n' \
    $((26660 + d)) $((1317 + d))
done
cat <<INFO
  gRPC reflection is on: grpcurl -plaintext 127.0.0.1:9090 list
  RPC and REST answer browser apps from any origin (CORS *), for explorers and wallets.
  keys (keyring-backend test, --home $HOME_DIR):
    validator $(addr node0)  (key name node0)
INFO
for k in "${KEYS[@]}"; do printf '    %-9s %s\n' "$k" "$(addr "$k")"; done
cat <<INFO

Beside the nodes:
  verifier sidecars  one per validator (logs/sidecar<i>.log, metrics on the sidecar port + 1, weights for
                     the other sidecars on the sidecar port + 2, registered on chain: q compute verifier-endpoints)
  provider agent     key provider, chunks http://127.0.0.1:8081 (signed requests), metrics http://127.0.0.1:8082/metrics  (logs/provider.log)
  dataset server     http://127.0.0.1:8090, serves alice's and bob's datasets from .npy files in $HOME_DIR/datasets (logs/dataserver.log)

Try: $BIN q bank balances \$($BIN keys show alice -a --keyring-backend test --home $HOME_DIR) --home $HOME_DIR

Starting; Ctrl-C stops everything.
INFO

mkdir -p "$ROOT/logs" "$HOME_DIR/datasets"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for ((i = 0; i < N; i++)); do
  d=$((STEP * i))
  # Each sidecar signs its chunk requests with its validator's operator key
  # (node<i> in that node's keyring); providers serve bonded validators only.
  # Its weights server (9193) sends the model weights it holds to the other
  # validators' sidecars, at the URL registered below.
  "$BUILDDIR/aichain-sidecar" --node 127.0.0.1:$((9090 + d)) --listen 127.0.0.1:$((9191 + d)) \
    --metrics 127.0.0.1:$((9192 + d)) --home "$ROOT/node$i" --keyring-backend test --from "node$i" \
    --cache-dir "$ROOT/sidecar$i-cache" --weights-listen 127.0.0.1:$((9193 + d)) --weights-url http://127.0.0.1:$((9193 + d)) \
    --local-network --backend auto >>"$ROOT/logs/sidecar$i.log" 2>&1 &
  pids+=($!)
done
# Each validator registers its sidecar's weights URL once the chain runs
# (the sidecars read the list every 30 s); a chain that has them skips it.
(
  for ((i = 0; i < N; i++)); do
    d=$((STEP * i))
    for _ in $(seq 60); do
      "$BIN" q compute verifier-endpoints --node tcp://127.0.0.1:26657 --home "$HOME_DIR" >/dev/null 2>&1 && break
      sleep 1
    done
    valoper=$("$BIN" keys show "node$i" --bech val -a --keyring-backend test --home "$ROOT/node$i")
    "$BIN" q compute verifier-endpoint "$valoper" --node tcp://127.0.0.1:26657 --home "$HOME_DIR" >/dev/null 2>&1 && continue
    "$BIN" tx compute set-verifier-endpoint http://127.0.0.1:$((9193 + d)) --from "node$i" --keyring-backend test \
      --home "$ROOT/node$i" --node tcp://127.0.0.1:26657 --chain-id "$CHAIN_ID" --yes >/dev/null || true
    sleep 2
  done
) >>"$ROOT/logs/register.log" 2>&1 &
pids+=($!)
"$BUILDDIR/aichain-provider" --node 127.0.0.1:9090 --rpc tcp://127.0.0.1:26657 --chain-id "$CHAIN_ID" --home "$HOME_DIR" \
  --keyring-backend test --from provider --data-dir "$ROOT/provider" --listen 127.0.0.1:8081 --metrics 127.0.0.1:8082 \
  --backend auto --moniker localnet-provider >>"$ROOT/logs/provider.log" 2>&1 &
pids+=($!)
# The dataset server serves the datasets alice and bob list with files in
# datasets/ (a copy listed by anyone else is not served).
"$BUILDDIR/aichain-dataserver" --node 127.0.0.1:9090 --listen 127.0.0.1:8090 \
  --owner "$(addr alice)" --owner "$(addr bob)" --data-dir "$HOME_DIR/datasets" >>"$ROOT/logs/dataserver.log" 2>&1 &
pids+=($!)

# Node0 in the foreground of this script (its log on the terminal), the
# others in the background (logs/node<i>.log).
for ((i = 1; i < N; i++)); do
  "$BIN" start --home "$ROOT/node$i" >>"$ROOT/logs/node$i.log" 2>&1 &
  pids+=($!)
done
"$BIN" start --home "$HOME_DIR" &
pids+=($!)
wait "${pids[-1]}"
