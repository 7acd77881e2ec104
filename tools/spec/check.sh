#!/usr/bin/env bash
# check.sh: the checks that keep openapi.yaml a safe contract for teams that
# generate clients from it in other languages. `make spec-check` runs it with
# no arguments; each step can also be run alone on any copy of the spec
# (selftest.sh does that on deliberately broken copies):
#
#   check.sh                         all steps below, then selftest.sh
#   check.sh install                 npm ci, only when node_modules is missing or stale
#   check.sh lint SPEC               Redocly CLI lint (redocly.yaml); fails on any error or warning
#   check.sh typescript SPEC [DIR]   openapi-typescript SPEC -> DIR/build/api.d.ts, then
#                                    tsc --noEmit on client.ts against it (DIR: a scratch copy
#                                    of tools/spec; default tools/spec itself)
#   check.sh breaking BASE SPEC      oasdiff breaking BASE SPEC; a breaking change fails unless
#                                    SPEC's info.version major is greater than BASE's
#   check.sh selftest                selftest.sh: the steps fail on broken copies of the spec
#
# Needs only go, node (>= 20.19) and npm; the npm tools are pinned in
# package.json/package-lock.json, oasdiff by version in OASDIFF below (run with
# `go run pkg@version`, outside our go.mod).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OASDIFF="github.com/oasdiff/oasdiff@v1.37.0"

# No telemetry, update checks or banners from the npm tools.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_SUPPRESS_NOTIFICATIONS=true
export NO_UPDATE_NOTIFIER=1 npm_config_update_notifier=false

say() { printf 'spec-check: %s\n' "$*"; }
die() { printf 'spec-check: FAIL: %s\n' "$*" >&2; exit 1; }
abspath() { [ -f "$1" ] || die "no such file: $1"; printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd)" "$(basename "$1")"; }

# install: npm ci when node_modules is missing or older than the lock file
# (npm ci writes node_modules/.package-lock.json, which serves as the stamp).
install() {
  local stamp="$HERE/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$HERE/package-lock.json" -nt "$stamp" ] || [ "$HERE/package.json" -nt "$stamp" ]; then
    say "npm ci (tools/spec)"
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# lint SPEC: Redocly CLI with redocly.yaml. Redocly exits non-zero on errors
# only; warnings fail here too, so that each is fixed or switched off with a reason.
lint() {
  local spec out rc=0
  spec="$(abspath "$1")"
  out="$(cd "$HERE" && node_modules/.bin/redocly lint --config redocly.yaml --format stylish "$spec" 2>&1)" || rc=$?
  # Drop the CLI's boxed "Node.js 20 support is ending" notice; keep everything else.
  printf '%s\n' "$out" | grep -v '[║╔╚]' | grep -v '^[[:space:]]*$' || true
  [ "$rc" -eq 0 ] || die "redocly lint found errors in $1"
  if printf '%s\n' "$out" | grep -Eq 'You have [0-9]+ warnings?'; then
    die "redocly lint found warnings in $1: fix them or switch the rule off in tools/spec/redocly.yaml with a reason"
  fi
  say "lint: ok"
}

# typescript SPEC [DIR]: generate types, type-check client.ts against them.
typescript() {
  local spec dir
  spec="$(abspath "$1")"
  dir="${2:-$HERE}"
  mkdir -p "$dir/build"
  dir="$(cd "$dir" && pwd)"
  if [ "$dir" != "$HERE" ]; then
    cp "$HERE/client.ts" "$HERE/tsconfig.json" "$dir/"
  fi
  rm -f "$dir/build/api.d.ts"
  # Run from build/ so that openapi-typescript does not pick up tools/spec/redocly.yaml
  # (it reads a redocly.yaml in its working directory); it then uses Redocly's minimal rules.
  (cd "$dir/build" && "$HERE/node_modules/.bin/openapi-typescript" "$spec" -o api.d.ts >/dev/null) ||
    die "openapi-typescript could not generate types from $1"
  "$HERE/node_modules/.bin/tsc" --noEmit -p "$dir" ||
    die "tools/spec/client.ts does not type-check against the types generated from $1"
  say "typescript: ok"
}

# version SPEC: the spec's info.version, read with a few lines of node: from a
# JSON spec directly, from a YAML one without a YAML library (the `version:` key
# directly under the top-level `info:` key).
version() {
  node -e '
    const text = require("fs").readFileSync(process.argv[1], "utf8");
    const check = (v) => {
      if (typeof v !== "string" || !/^\d+\.\d+\.\d+$/.test(v)) { console.error("info.version is not MAJOR.MINOR.PATCH: " + v); process.exit(2); }
      console.log(v); process.exit(0);
    };
    if (/^\s*\{/.test(text)) check(JSON.parse(text).info?.version);
    const lines = text.split(/\r?\n/);
    let inInfo = false, indent = -1;
    for (const line of lines) {
      if (/^info:\s*$/.test(line)) { inInfo = true; continue; }
      if (!inInfo || /^\s*(#.*)?$/.test(line)) continue;
      if (!/^\s/.test(line)) break; // back at the top level
      const m = /^(\s+)([^\s:#][^:]*):\s*(.*)$/.exec(line);
      if (!m) continue;
      if (indent < 0) indent = m[1].length;
      if (m[1].length !== indent || m[2] !== "version") continue;
      check(m[3].replace(/\s+#.*$/, "").replace(/^(["\x27])(.*)\1$/, "$2"));
    }
    console.error("no info.version in " + process.argv[1]); process.exit(2);
  ' "$1"
}

# newer A B: exit 0 when version A > version B (numeric MAJOR.MINOR.PATCH).
newer() {
  local a b i
  IFS=. read -r -a a <<<"$1"
  IFS=. read -r -a b <<<"$2"
  for i in 0 1 2; do
    if [ "${a[i]}" -gt "${b[i]}" ]; then return 0; fi
    if [ "${a[i]}" -lt "${b[i]}" ]; then return 1; fi
  done
  return 1
}

# breaking BASE SPEC: oasdiff's breaking-change check of SPEC against BASE (the
# released spec). It runs in a scratch directory, so that `go run pkg@version`
# sees no main module (our go.mod and go.sum stay untouched) and oasdiff finds
# no .oasdiff.* config. oasdiff-levels.txt raises three checks that oasdiff
# rates "info" to ERR, because they break generated clients: an operationId
# removed or renamed (it names the generated methods), a components schema
# removed or renamed (it names the generated types), and an optional response
# property removed (code that reads it stops compiling).
breaking() {
  local base spec vbase vspec scratch rc=0
  base="$(abspath "$1")"
  spec="$(abspath "$2")"
  vbase="$(version "$base")" || die "cannot read info.version of $1"
  vspec="$(version "$spec")" || die "cannot read info.version of $2"
  if newer "$vbase" "$vspec"; then
    die "info.version $vspec of $2 is lower than the released $vbase of $1"
  fi
  scratch="$(mktemp -d)"
  (cd "$scratch" && GOWORK=off GOFLAGS= go run "$OASDIFF" breaking "$base" "$spec" \
      --fail-on ERR --severity-levels "$HERE/oasdiff-levels.txt" \
      --allow-external-refs=false --color never --format text \
      >"$scratch/out" 2>"$scratch/err") || rc=$?
  if [ "$rc" -eq 0 ]; then
    cat "$scratch/out"
    rm -rf "$scratch"
    say "breaking: ok (no breaking change against released $vbase)"
    return 0
  fi
  # `go run` exits 1 whatever the program's code and prints "exit status N";
  # oasdiff's own failures (unreadable spec, bad flag) use codes above 100.
  if [ "$(tail -n 1 "$scratch/err")" != "exit status 1" ] || ! grep -Eq '^[0-9]+ changes?: [1-9][0-9]* error' "$scratch/out"; then
    cat "$scratch/out"
    cat "$scratch/err" >&2
    rm -rf "$scratch"
    die "oasdiff failed (not a breaking-change report)"
  fi
  if [ "${vspec%%.*}" -gt "${vbase%%.*}" ]; then
    # Allowed: list the changes without oasdiff's "error" severity, so that a
    # passing check prints no error line.
    sed -E -e 's/^([0-9]+ changes?): ([0-9]+) error, /\1: \2 breaking (allowed), /' \
      -e 's/^error([[:space:]])/allowed\1/' "$scratch/out"
    rm -rf "$scratch"
    say "breaking: ok (the breaking changes above are allowed: info.version major moved $vbase -> $vspec)"
    return 0
  fi
  cat "$scratch/out"
  rm -rf "$scratch"
  die "breaking changes against released spec $vbase (see above); keep the change compatible, or move info.version to $(( ${vbase%%.*} + 1 )).0.0 and record it in CHANGELOG.md"
}

selftest() {
  bash "$HERE/selftest.sh"
}

main() {
  local start=$SECONDS
  install
  say "lint openapi.yaml"
  lint "$ROOT/openapi.yaml"
  say "typescript openapi.yaml"
  typescript "$ROOT/openapi.yaml"
  say "breaking api/released/openapi.yaml -> openapi.yaml"
  breaking "$ROOT/api/released/openapi.yaml" "$ROOT/openapi.yaml"
  say "selftest"
  selftest
  say "all checks passed in $(( SECONDS - start ))s"
}

case "${1:-all}" in
  all) main ;;
  install) install ;;
  lint) [ $# -eq 2 ] || die "usage: check.sh lint SPEC"; install; lint "$2" ;;
  typescript) [ $# -ge 2 ] && [ $# -le 3 ] || die "usage: check.sh typescript SPEC [DIR]"; install; typescript "$2" "${3:-$HERE}" ;;
  breaking) [ $# -eq 3 ] || die "usage: check.sh breaking BASE SPEC"; breaking "$2" "$3" ;;
  selftest) install; selftest ;;
  *) die "unknown step $1 (all, install, lint, typescript, breaking, selftest)" ;;
esac
