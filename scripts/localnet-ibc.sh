#!/usr/bin/env bash
# Two aichain chains on 127.0.0.1 and the Go relayer between them, until
# Ctrl-C: chain A (aichain-a-1: RPC 26657, gRPC 9090, REST 1317) and chain B
# (aichain-b-1: RPC 36657, gRPC 19090, REST 11317), each one validator with
# the keys alice, bob and relayer (and provider on A); an ICS-20 channel
# between their transfer ports, whose ids it prints. Chain A's genesis allows
# chain B's uaic (its voucher ibc/<hash> of transfer/channel-0/uaic) for
# compute jobs, and a provider agent on A bids on jobs in uaic or in that
# voucher (no verifier sidecars here: chain A samples no results, a short
# challenge window). State under build/localnet-ibc (reset with
# LOCALNET_RESET=1).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDDIR=${BUILDDIR:-$PWD/build}
BIN=$BUILDDIR/aichaind
RLY=$BUILDDIR/rly
ROOT=$BUILDDIR/localnet-ibc
RH=$ROOT/relayer

[ "${LOCALNET_RESET:-0}" = 1 ] && rm -rf "$ROOT"
mkdir -p "$ROOT/logs"

# B's uaic as it arrives on A over A's channel-0 (the first channel of a
# fresh chain), named as ibc-go names vouchers: sha256 of the trace.
VOUCHER=ibc/$(printf 'transfer/channel-0/uaic' | sha256sum | cut -c1-64 | tr a-f A-F)

init() { # name chain-id p2p rpc grpc api keys; returns 1 if it already existed
  [ -f "$ROOT/$1/node0/config/genesis.json" ] && return 1
  "$BIN" testnet init-files --v 1 --output-dir "$ROOT/$1" --chain-id "$2" --keyring-backend test \
    --funded-keys "$7" --block-time 1s --minimum-gas-prices 0uaic \
    --p2p-port "$3" --rpc-port "$4" --grpc-port "$5" --api-port "$6" >/dev/null
}
if init a aichain-a-1 26656 26657 9090 1317 alice,bob,relayer,provider; then
  command -v jq >/dev/null || { echo "jq is needed to edit chain A's genesis (apt-get install jq)" >&2; rm -rf "$ROOT/a"; exit 1; }
  g=$ROOT/a/node0/config/genesis.json
  jq --arg v "$VOUCHER" '.app_state.compute.params.allowed_denoms += [$v]
    | .app_state.stakingrewards.params.reward_denoms += [$v]
    | .app_state.compute.params.sample_rate_floor_bps = 0 | .app_state.compute.params.challenge_blocks = "5"' "$g" >"$g.new"
  mv "$g.new" "$g"
fi
init b aichain-b-1 36656 36657 19090 11317 alice,bob,relayer || true

pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM
for c in a b; do
  "$BIN" start --home "$ROOT/$c/node0" >>"$ROOT/logs/$c.log" 2>&1 &
  pids+=($!)
done
for port in 26657 36657; do
  until curl -fs "http://127.0.0.1:$port/status" | grep -q '"latest_block_height":"[1-9]'; do sleep 1; done
done

if [ ! -f "$RH/config/config.yaml" ]; then
  "$RLY" config init --home "$RH" >/dev/null
  for c in a b; do
    id=aichain-$c-1
    rpc=$([ $c = a ] && echo 26657 || echo 36657)
    cat >"$RH/$id.json" <<JSON
{"type":"cosmos","value":{"key":"relayer","chain-id":"$id","rpc-addr":"http://127.0.0.1:$rpc","account-prefix":"aic","keyring-backend":"test","gas-adjustment":1.5,"gas-prices":"0uaic","min-gas-amount":0,"debug":false,"timeout":"20s","output-format":"json","sign-mode":"direct"}}
JSON
    "$RLY" chains add --file "$RH/$id.json" "$id" --home "$RH" >/dev/null
    secret=$(sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' "$ROOT/$c/node0/key_seed_relayer.json")
    "$RLY" keys restore "$id" relayer "$secret" --home "$RH" >/dev/null
  done
  "$RLY" paths new aichain-a-1 aichain-b-1 ab --home "$RH" >/dev/null
  echo "Linking the chains (clients, connection, ICS-20 channel)…"
  "$RLY" tx link ab --src-port transfer --dst-port transfer --version ics20-1 --home "$RH" >>"$ROOT/logs/link.log" 2>&1
fi

cat <<INFO

aichain IBC localnet under $ROOT (logs in $ROOT/logs):
  chain A aichain-a-1  RPC http://127.0.0.1:26657  gRPC 127.0.0.1:9090   REST http://127.0.0.1:1317   home $ROOT/a/node0
  chain B aichain-b-1  RPC http://127.0.0.1:36657  gRPC 127.0.0.1:19090  REST http://127.0.0.1:11317  home $ROOT/b/node0
  channels: $("$RLY" q channels aichain-a-1 --home "$RH" 2>/dev/null | sed -n 's/^{"chain_id":"[^"]*","channel_id":"\([^"]*\)".*"counterparty":{[^}]*"channel_id":"\([^"]*\)".*/A \1 <-> B \2 (port transfer)/p' | head -1)
  voucher of uaic on B: ibc/$(printf 'transfer/channel-0/uaic' | sha256sum | cut -c1-64 | tr a-f A-F)
  B's uaic on A (allowed for jobs on A): $VOUCHER
  provider agent on A: key provider, --min-price 1000uaic,1000$VOUCHER (logs/provider-a.log)

Try: $BIN tx ibc-transfer transfer transfer channel-0 \$($BIN keys show bob -a --keyring-backend test --home $ROOT/b/node0) 1000uaic \\
       --from alice --keyring-backend test --home $ROOT/a/node0 --yes
Relaying until Ctrl-C.
INFO
"$BUILDDIR/aichain-provider" --node 127.0.0.1:9090 --rpc tcp://127.0.0.1:26657 --chain-id aichain-a-1 \
  --home "$ROOT/a/node0" --keyring-backend test --from provider --data-dir "$ROOT/provider-a" \
  --listen 127.0.0.1:8081 --metrics 127.0.0.1:8082 --backend auto --moniker ibc-provider --local-network \
  --min-price "1000uaic,1000$VOUCHER" >>"$ROOT/logs/provider-a.log" 2>&1 &
pids+=($!)
"$RLY" start ab --home "$RH" >>"$ROOT/logs/relayer.log" 2>&1 &
pids+=($!)
wait "${pids[-1]}"
