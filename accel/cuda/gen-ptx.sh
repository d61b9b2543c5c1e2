#!/bin/sh
# Compiles dense.cu to PTX with Debian's clang-19 (NVPTX backend; no CUDA
# toolkit needed). Usage: gen-ptx.sh [output.ptx]   (default: dense.ptx next
# to this script). Set CLANG to use another clang binary.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/dense.ptx"}
clang=${CLANG:-clang-19}
if ! command -v "$clang" >/dev/null 2>&1; then
	echo "gen-ptx.sh: $clang not found on PATH; install it with: apt-get install clang-19" >&2
	exit 1
fi
"$clang" -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=sm_80 \
	-O3 -ffp-contract=off -S "$here/dense.cu" -o "$out"
