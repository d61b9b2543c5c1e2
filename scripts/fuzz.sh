#!/usr/bin/env bash
# Runs every Go fuzz target of the repository (`func Fuzz...` in a *_test.go
# file) for FUZZTIME each (default 10s), one after the other, and stops at the
# first failure, leaving the failing input under the package's
# testdata/fuzz/<Target>/ (commit it as a regression seed once fixed).
#
#   scripts/fuzz.sh                       # every target, 10s each
#   FUZZTIME=2m scripts/fuzz.sh           # longer
#   FUZZ_MATCH=Msgs scripts/fuzz.sh       # only targets whose name matches
#   GOMAXPROCS=1 scripts/fuzz.sh          # one fuzz worker
#
# FUZZ_DEADLINE (seconds since the epoch, optional) stops the run from
# starting a package's build or a target after that moment: the targets left
# are listed as skipped and the run succeeds (CI passes its time budget).
#
# FUZZMINIMIZETIME (default 5s) bounds the minimizing of each new input: go's
# default of 60s lets one input of a slow target eat a short run.
#
# Targets are found with grep, so nothing is compiled that is not fuzzed. Much
# of a short run is building each package with fuzz instrumentation, so each
# package is built once (go test -c -fuzz) and its binary runs its targets.
# FUZZFLAGS go to that build (e.g. -p 1); -parallel is a run flag, use
# GOMAXPROCS to limit the fuzz workers.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-10s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}
FUZZ_MATCH=${FUZZ_MATCH:-}
read -r -a extra <<<"${FUZZFLAGS:-}"

# "<package dir> <target>" lines, sorted so that a package's targets run
# together (its instrumented build is then reused).
mapfile -t targets < <(
  grep -rE --include='*_test.go' --exclude-dir=build --exclude-dir=.git --exclude-dir=vendor \
    -o '^func Fuzz[A-Za-z0-9_]*\(' . |
    sed -E 's|^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($|\1 \2|' |
    sort -u
)
if [ -n "$FUZZ_MATCH" ]; then
  mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -E " [^ ]*${FUZZ_MATCH}[^ ]*$" || true)
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets found" >&2
  exit 1
fi

module=$(go list -m)
gocache=$(go env GOCACHE)
bindir=$(mktemp -d)
summary=()
total_start=$(date +%s)
finish() {
  rm -rf "$bindir"
  echo
  echo "fuzz summary (FUZZTIME=$FUZZTIME):"
  printf '  %-8s %6s  %s\n' status time target
  for line in "${summary[@]}"; do echo "  $line"; done
  echo "  total $(($(date +%s) - total_start))s for ${#targets[@]} targets"
  if [ "${skipped:-0}" -gt 0 ]; then
    echo "  $skipped targets skipped: FUZZ_DEADLINE passed"
  fi
}
trap finish EXIT

# Each package is built once with fuzz instrumentation (go test -c -fuzz), and
# its binary then runs each of its targets from the package directory, as go
# test would (testdata/fuzz there, the generated corpus under GOCACHE/fuzz).
built=
skipped=0
for t in "${targets[@]}"; do
  pkg=${t% *}
  name=${t#* }
  if [ -n "${FUZZ_DEADLINE:-}" ] && [ "$(date +%s)" -ge "$FUZZ_DEADLINE" ]; then
    summary+=("$(printf '%-8s %5s   %s ./%s/' skipped - "$name" "$pkg")")
    skipped=$((skipped + 1))
    continue
  fi
  bin=$bindir/${pkg//\//_}.test
  if [ "$built" != "$pkg" ]; then
    start=$(date +%s)
    if ! go test -c -fuzz . -o "$bin" "${extra[@]}" "./$pkg/"; then
      summary+=("$(printf '%-8s %5ss  build ./%s/' FAIL "$(($(date +%s) - start))" "$pkg")")
      exit 1
    fi
    summary+=("$(printf '%-8s %5ss  build ./%s/' ok "$(($(date +%s) - start))" "$pkg")")
    built=$pkg
  fi
  echo "== $name ./$pkg/ ($FUZZTIME)"
  start=$(date +%s)
  status=ok
  # A failure that leaves no new input under testdata/fuzz is the toolchain
  # stopping a worker at the deadline ("context deadline exceeded"), not a
  # crash: the target runs once more, and fails the run only if it fails
  # again. A real failure always writes its input there.
  for attempt in 1 2; do
    inputs=$( (find "$pkg/testdata/fuzz/$name" -type f 2>/dev/null || true) | wc -l)
    status=ok
    (cd "$pkg" && "$bin" -test.paniconexit0 -test.run '^$' -test.fuzz "^${name}\$" \
      -test.fuzztime "$FUZZTIME" -test.fuzzminimizetime "$FUZZMINIMIZETIME" \
      -test.fuzzcachedir "$gocache/fuzz/$module/$pkg") || status=FAIL
    if [ "$status" = ok ] || [ "$( (find "$pkg/testdata/fuzz/$name" -type f 2>/dev/null || true) | wc -l)" != "$inputs" ]; then
      break
    fi
    echo "fuzz.sh: $name stopped without a failing input (a worker cut off at the deadline); once more" >&2
  done
  summary+=("$(printf '%-8s %5ss  %s ./%s/' "$status" "$(($(date +%s) - start))" "$name" "$pkg")")
  if [ "$status" != ok ]; then
    echo "fuzz.sh: $name in ./$pkg/ failed; the input is under ./$pkg/testdata/fuzz/$name/" >&2
    echo "  re-run: go test -run '$name/<file>' ./$pkg/" >&2
    exit 1
  fi
done
