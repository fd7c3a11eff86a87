#!/usr/bin/env bash
# mikrodock's two entry points on a fresh Debian/Ubuntu machine. Safe to run again.
#   ./setup.sh demo   install everything, then show both halves: a simulated router taking
#                     run/ps/logs/exec/rm, and the test guest with chr run, a snapshot and a clone
#   ./setup.sh test   install everything, then lint, type-check and run the whole test suite
#   ./setup.sh bench  install everything, then run the benchmarks in bench/
set -euo pipefail
cd "$(dirname "$0")"
what=${1:-}
case "$what" in demo|test|bench) ;; *) echo "usage: ./setup.sh demo|test|bench" >&2; exit 2;; esac

scripts/install-system-deps.sh

venv=.venv
stamp=$venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -e '.[dev]'
    rm -f "$venv"/.installed-*
    touch "$stamp"
fi
bin=$venv/bin

case "$what" in
demo)
    "$bin/python" scripts/demo.py
    ;;
test)
    "$bin/ruff" check src tests bench scripts
    "$bin/ruff" format --check src tests bench scripts
    "$bin/mypy"
    "$bin/lint-imports"
    "$bin/pytest" -q "${@:2}"
    ;;
bench)
    failed=()
    for script in bench/bench_*.py; do
        echo "== $script"
        "$bin/python" "$script" || failed+=("$script")
    done
    if [ ${#failed[@]} -gt 0 ]; then
        echo "benchmarks that failed: ${failed[*]}" >&2
        exit 1
    fi
    ;;
esac
