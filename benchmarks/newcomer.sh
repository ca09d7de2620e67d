#!/usr/bin/env bash
# A newcomer's first hour, timed: a fresh clone of this repository, then `make run` (venv, install,
# the comparison of four scenarios x 10 seeds, its figures) and `.ci/run` (`make test`: lint, mypy
# and every test tier), each timed as a whole with bash's `time`. Writes benchmarks/newcomer.md
# in the checkout it is run from.
#
#   benchmarks/newcomer.sh [REPO]       # REPO defaults to this checkout; committed work only
#
# The clone lives in a temporary folder and is removed at the end (pip's cache is kept, as a
# newcomer who has installed anything before would have one). The machine's load is recorded
# beside the times: on a shared 2-core machine they move by a factor of two.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="${1:-$here}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
report="$here/benchmarks/newcomer.md"

git clone -q "$repo" "$work/decouple"
commit="$(git -C "$work/decouple" rev-parse --short HEAD)"
cd "$work/decouple"

seconds() {  # seconds LOG CMD...: run CMD, its output to LOG; print the wall-clock seconds
  local log="$1" start end
  shift
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1 || { echo "failed: $* (see the end of $log)" >&2; tail -20 "$log" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.0f}')"
}

load_before_run="$(cut -d' ' -f1-3 /proc/loadavg)"
run_s=$(seconds "$work/run.log" make run)
load_before_test="$(cut -d' ' -f1-3 /proc/loadavg)"
test_s=$(seconds "$work/test.log" .ci/run)
summary="$(grep -E '^[0-9]+ passed' "$work/test.log" | tail -1)"

{
  echo "# A newcomer's first hour: make run and make test on a fresh clone"
  echo
  echo "Measured by \`benchmarks/newcomer.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$commit\`,"
  echo "on the project's machine ($(nproc) cores, $(python3 --version)). pip's cache was warm; the venv was new."
  echo
  echo "| step | what it does | wall clock | load average before (1, 5, 15 min) |"
  echo "|---|---|---|---|"
  echo "| \`make run\` | create \`.venv\`, install \`.[test]\`, compare 4 scenarios x 10 seeds, draw the figures | $((run_s / 60)) min $((run_s % 60)) s | $load_before_run |"
  echo "| \`.ci/run\` (\`make test\`) | ruff, mypy, every test tier (the venv already there) | $((test_s / 60)) min $((test_s % 60)) s | $load_before_test |"
  echo
  echo "pytest printed: \`$summary\`"
} >"$report"
cat "$report"
