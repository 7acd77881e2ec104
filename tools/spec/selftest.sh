#!/usr/bin/env bash
# selftest.sh: shows that spec-check fails when it should. It makes modified
# copies of openapi.yaml and runs check.sh's steps on each:
#
#   unmodified       breaking passes, typescript passes
#   job_id removed   (from JobIDResponse's required list and properties)
#                    breaking fails, typescript fails
#   op renamed       (operationId CreateClickHouseDataBaseReplication)
#                    breaking fails, typescript fails
#   job_id removed, info.version major moved to the next major
#                    breaking passes (a breaking change is allowed in a new major)
#
# Prints one PASS/FAIL line per case and exits non-zero if any case does not
# behave. The breaking step compares each copy with the unmodified spec
# (not with the released one, which the spec may already differ from), so
# the cases hold whatever has changed since the last release. The copies are
# made by bundling the spec to JSON with Redocly and
# editing the JSON, so the edits do not depend on the YAML's layout.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CHECK="$HERE/check.sh"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_SUPPRESS_NOTIFICATIONS=true

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

if ! (cd "$HERE" && node_modules/.bin/redocly bundle "$ROOT/openapi.yaml" -o "$scratch/unmodified.json" >"$scratch/bundle.log" 2>&1); then
  cat "$scratch/bundle.log" >&2
  echo "selftest: FAIL: could not bundle openapi.yaml" >&2
  exit 1
fi

# mutate IN OUT EDIT: apply one named edit to the bundled spec; fails when the
# edit finds nothing to change (so a reshaped spec cannot make a case pass vacuously).
mutate() {
  node -e '
    const fs = require("fs");
    const [inFile, outFile, edit] = process.argv.slice(1);
    const spec = JSON.parse(fs.readFileSync(inFile, "utf8"));
    const fail = (msg) => { console.error("selftest: cannot apply edit " + edit + ": " + msg); process.exit(1); };
    const removeJobID = () => {
      const s = spec.components?.schemas?.JobIDResponse;
      if (!s?.properties?.job_id || !s.required?.includes("job_id")) fail("JobIDResponse has no required job_id");
      delete s.properties.job_id;
      s.required = s.required.filter((n) => n !== "job_id");
      if (s.required.length === 0) delete s.required;
    };
    const renameOp = () => {
      let found = 0;
      for (const item of Object.values(spec.paths ?? {}))
        for (const op of Object.values(item))
          if (op && op.operationId === "CreateClickHouseDataBaseReplication") { op.operationId = "CreateClickHouseReplication"; found++; }
      if (found !== 1) fail("operationId CreateClickHouseDataBaseReplication found " + found + " times");
    };
    const bumpMajor = () => {
      const m = /^(\d+)\.\d+\.\d+$/.exec(spec.info?.version ?? "");
      if (!m) fail("info.version is not MAJOR.MINOR.PATCH");
      spec.info.version = (Number(m[1]) + 1) + ".0.0";
    };
    switch (edit) {
      case "none": break;
      case "remove-job-id": removeJobID(); break;
      case "rename-operation": renameOp(); break;
      case "remove-job-id-new-major": removeJobID(); bumpMajor(); break;
      default: fail("unknown edit");
    }
    fs.writeFileSync(outFile, JSON.stringify(spec, null, 2) + "\n");
  ' "$@"
}

failures=0

# expect STEP WANT PATTERN LOG CMD...: run one check step; WANT is pass or fail.
# The step behaves when it passes or fails as wanted and its output matches
# PATTERN (an extended regex: the failure must be the one the case is about);
# a step that passes prints no line starting with "error".
expect() {
  local step="$1" want="$2" pattern="$3" log="$4" got
  shift 4
  if "$@" >"$log" 2>&1; then got=pass; else got=fail; fi
  results+=("$step ${got}ed (want ${want})")
  [ "$got" = "$want" ] || return 1
  grep -Eq -- "$pattern" "$log" || { results+=("but its output lacks /$pattern/"); return 1; }
  # A step that passes prints no line that reads as an error.
  if [ "$want" = pass ] && grep -Eq '^error([[:space:]]|$)' "$log"; then
    results+=("but it printed an error line although it passed"); return 1
  fi
}

# run_case NAME EDIT BREAKING BREAKING_PATTERN TS TS_PATTERN (TS skip: not run).
run_case() {
  local name="$1" edit="$2" want_breaking="$3" breaking_pattern="$4" want_ts="$5" ts_pattern="$6" dir ok=1 summary log
  dir="$scratch/$edit"
  mkdir -p "$dir"
  results=()
  if ! mutate "$scratch/unmodified.json" "$dir/openapi.json" "$edit" 2>"$dir/mutate.log"; then
    echo "FAIL: $name: $(cat "$dir/mutate.log")"
    failures=$((failures + 1))
    return
  fi
  expect breaking "$want_breaking" "$breaking_pattern" "$dir/breaking.log" \
    bash "$CHECK" breaking "$scratch/unmodified.json" "$dir/openapi.json" || ok=0
  if [ "$want_ts" != skip ]; then
    expect typescript "$want_ts" "$ts_pattern" "$dir/typescript.log" \
      bash "$CHECK" typescript "$dir/openapi.json" "$dir/ts" || ok=0
  fi
  summary="$(printf '%s, ' "${results[@]}")"
  summary="${summary%, }"
  if [ "$ok" -eq 1 ]; then
    echo "PASS: $name: $summary"
  else
    echo "FAIL: $name: $summary"
    for log in "$dir/breaking.log" "$dir/typescript.log"; do
      if [ -f "$log" ]; then sed 's/^/    | /' "$log"; fi
    done
    failures=$((failures + 1))
  fi
}

run_case "unmodified spec" none \
  pass 'breaking: ok \(no breaking change' \
  pass 'typescript: ok'
run_case "job_id removed from JobIDResponse" remove-job-id \
  fail 'response-required-property-removed.*|removed the required property `job_id`' \
  fail "error TS[0-9]+: .*job_id"
run_case "operationId CreateClickHouseDataBaseReplication renamed" rename-operation \
  fail 'api-operation-id-removed' \
  fail "error TS[0-9]+: .*CreateClickHouseDataBaseReplication"
run_case "job_id removed, info.version major moved" remove-job-id-new-major \
  pass 'major moved [0-9]+\.[0-9]+\.[0-9]+ -> [0-9]+\.0\.0' \
  skip ''

if [ "$failures" -ne 0 ]; then
  echo "selftest: FAIL: $failures case(s) did not behave"
  exit 1
fi
echo "selftest: all 4 cases behave"
