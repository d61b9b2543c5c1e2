#!/usr/bin/env bash
# Regenerates the gogoproto Go code, gRPC-gateway routes and the API v2 types (api/) from proto/, fully offline:
# with no argument every package (stale generated files are removed first); with
# arguments only those proto directories, e.g. scripts/protocgen.sh proto/aichain/compute/v1.
# the imported .proto files come from the Go module cache (the versions pinned in go.mod),
# google/protobuf from the system protoc (Debian's protobuf-compiler + libprotobuf-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v protoc >/dev/null || { echo "protoc not found: run 'make proto-tools' (apt-get install protobuf-compiler libprotobuf-dev)" >&2; exit 1; }

moddir() { go mod download -json "$1@$(go list -m -f '{{.Version}}' "$1")" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
SDK=$(moddir github.com/cosmos/cosmos-sdk)
GOGO=$(moddir github.com/cosmos/gogoproto)
CPROTO=$(moddir github.com/cosmos/cosmos-proto)
GW=$(moddir github.com/grpc-ecosystem/grpc-gateway)
SYS=/usr/include
[ -f "$SYS/google/protobuf/descriptor.proto" ] || { echo "google/protobuf includes missing: apt-get install libprotobuf-dev" >&2; exit 1; }

BIN=$(mktemp -d)
OUT=$(mktemp -d)
mkdir -p "$OUT/openapi"
trap 'rm -rf "$BIN" "$OUT"' EXIT
GOBIN=$BIN go install tool

INCLUDES=(-I proto -I "$SDK/proto" -I "$GOGO" -I "$CPROTO/proto" -I "$GW/third_party/googleapis" -I "$SYS")
if [ $# -gt 0 ]; then dirs=("$@"); else mapfile -t dirs < <(find proto -name '*.proto' -exec dirname {} \; | sort -u); fi
for dir in "${dirs[@]}"; do
  files=$(find "$dir" -maxdepth 1 -name '*.proto' | sort)
  protoc "${INCLUDES[@]}" \
    --plugin=protoc-gen-gocosmos="$BIN/protoc-gen-gocosmos" \
    --plugin=protoc-gen-grpc-gateway="$BIN/protoc-gen-grpc-gateway" \
    --gocosmos_out=plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any:"$OUT" \
    --grpc-gateway_out=logtostderr=true,allow_colon_final_segments=true:"$OUT" \
    $files
done

# The same messages as protocol-buffers API v2 types, under api/ (the SDK's
# layout: cosmossdk.io/api): each module's types package imports its api
# package, which registers the types in protoregistry.GlobalTypes, where the
# SDK's signer extraction (x/tx), autocli and the sign-mode encoders look a
# message up; without them each aichain Msg is decoded as a dynamicpb message,
# in CheckTx and again in every block. protoc-gen-go, not the SDK's pulsar:
# ~20,000 generated lines instead of ~160,000, and the same types. The
# imported cosmos files map to their cosmossdk.io/api packages. The sidecar's
# service is no chain message and is left out.
APIMAP="Mamino/amino.proto=cosmossdk.io/api/amino,Mcosmos/msg/v1/msg.proto=cosmossdk.io/api/cosmos/msg/v1"
APIMAP+=",Mcosmos/base/v1beta1/coin.proto=cosmossdk.io/api/cosmos/base/v1beta1"
APIMAP+=",Mcosmos/base/query/v1beta1/pagination.proto=cosmossdk.io/api/cosmos/base/query/v1beta1"
mapfile -t apifiles < <(find proto/aichain -name '*.proto' -not -path 'proto/aichain/sidecar/*' | sort)
for f in "${apifiles[@]}"; do
  rel=${f#proto/}; d=$(dirname "$rel")           # aichain/compute/v1
  pkg=$(echo "$d" | awk -F/ '{print $2 $3}')     # computev1
  APIMAP+=",M$rel=github.com/aichain/aichain/api/$d;$pkg"
done
for dir in $(printf '%s\n' "${apifiles[@]}" | xargs -n1 dirname | sort -u); do
  protoc "${INCLUDES[@]}" --plugin=protoc-gen-go="$BIN/protoc-gen-go" --go_out="$APIMAP:$OUT" \
    $(find "$dir" -maxdepth 1 -name '*.proto' | sort)
done

# OpenAPI (Swagger 2.0) of every aichain REST route: one file per module, from
# its query service's google.api.http rules. app/openapi embeds them and serves
# them, merged with the SDK's, at /swagger.
for q in $(find proto -name query.proto | sort); do
  mod=$(basename "$(dirname "$(dirname "$q")")")
  protoc "${INCLUDES[@]}" \
    --plugin=protoc-gen-swagger="$BIN/protoc-gen-swagger" \
    --swagger_out=logtostderr=true,allow_merge=true,merge_file_name="$mod",fqn_for_swagger_name=true:"$OUT/openapi" \
    "$q"
done

# A full run first removes what an earlier run generated, so that nothing stale stays.
if [ $# -eq 0 ]; then
  find . -path ./build -prune -o \( -name '*.pb.go' -o -name '*.pb.gw.go' \) -print | xargs -r rm -f
fi
cp -r "$OUT/github.com/aichain/aichain/." .
mkdir -p app/openapi
rm -f app/openapi/*.swagger.json
cp "$OUT"/openapi/*.swagger.json app/openapi/
echo "proto-gen: ok"
