#!/usr/bin/env bash
# Regenerates the gogoproto Go code and gRPC-gateway routes from proto/, fully offline:
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
