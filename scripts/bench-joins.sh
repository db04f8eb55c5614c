#!/usr/bin/env bash
# Whole-command benchmark: `mcready joins --json` against `ip -j maddr show`, both a process start plus a
# few reads of kernel state. Goal: mcready within 1.5x of ip. Needs hyperfine (Debian package).
# Both commands only read state and send nothing, so they run on this host as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --quiet
# `joins` exits 1 when nothing joined the group: that is an answer, not a failure.
hyperfine --shell=none --ignore-failure --warmup 20 --runs "${RUNS:-300}" --export-markdown "${OUT:-/dev/stdout}" \
  'target/release/mcready joins --json' \
  'ip -j maddr show'
