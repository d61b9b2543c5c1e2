#!/bin/sh
# Compiles the CUDA kernels (dense.cu, gpt.cu) to PTX with Debian's clang-19
# (NVPTX backend; no CUDA toolkit needed). Usage: gen-ptx.sh [output-dir]
# (default: next to this script; each k.cu becomes k.ptx). Set CLANG to use
# another clang binary.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here"}
clang=${CLANG:-clang-19}
if ! command -v "$clang" >/dev/null 2>&1; then
	echo "gen-ptx.sh: $clang not found on PATH; install it with: apt-get install clang-19" >&2
	exit 1
fi
for k in dense gpt; do
	"$clang" -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=sm_80 \
		-O3 -ffp-contract=off -S "$here/$k.cu" -o "$out/$k.ptx"
done
