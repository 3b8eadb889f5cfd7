#!/usr/bin/env bash
# Checks the files the instances run, as the modules render them (tests/fixtures/render-check):
#   - shell syntax of every script (bash -n / sh -n), and shellcheck when it is installed;
#   - every strata.yaml read by Strata's own configuration parser (needs the built strata.jar:
#     ingest/target/strata.jar, or STRATA_JAR), so that a key or value Strata refuses fails here;
#   - every cloud-init document parses as YAML (with python3's yaml module when present);
#   - the FoundationDB `configure new` guard, run against a fake fdbcli in every situation a
#     server can meet: new cluster, existing database, coordinators not answering yet, garbage.
# Usage: scripts/check-rendered.sh WORKDIR   (run from terraform/, as scripts/test.sh does)
# Prints one line per check (ok / FAIL / SKIPPED); exits 1 if any check failed.
set -uo pipefail

work=${1:?usage: check-rendered.sh WORKDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/.." && pwd)
fixture="$here/tests/fixtures/render-check"
out="$work/rendered"
mkdir -p "$out"
failed=0

ok() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*"
  failed=1
}

export TF_IN_AUTOMATION=1
if ! TF_DATA_DIR="$work/.tf-render" terraform -chdir="$fixture" init -backend=false -input=false -no-color >"$work/render-init.log" 2>&1 ||
  ! TF_DATA_DIR="$work/.tf-render" terraform -chdir="$fixture" apply -auto-approve -input=false -no-color \
    -state="$work/render.tfstate" >"$work/render-apply.log" 2>&1; then
  cat "$work/render-init.log" "$work/render-apply.log" 2>/dev/null | tail -30
  fail "render-check fixture did not apply"
  exit 1
fi

names=$(sed -n 's/^output "\([a-z]*__[a-z0-9_]*\)".*/\1/p' "$fixture/outputs.tf")
for name in $names; do
  terraform -chdir="$fixture" output -state="$work/render.tfstate" -raw "$name" >"$out/$name" 2>"$work/output.err" ||
    fail "output $name: $(cat "$work/output.err")"
done

# Shell syntax, and shellcheck when installed.
for f in "$out"/bash__* "$out"/sh__*; do
  shell="bash"
  case "$(basename "$f")" in sh__*) shell="sh" ;; esac
  if $shell -n "$f" 2>"$work/syntax.err"; then ok "$shell -n $(basename "$f")"; else fail "$shell -n $(basename "$f"): $(cat "$work/syntax.err")"; fi
done
if command -v shellcheck >/dev/null; then
  if shellcheck -S warning "$out"/bash__* "$out"/sh__* >"$work/shellcheck.log" 2>&1; then
    ok "shellcheck of the rendered scripts"
  else
    cat "$work/shellcheck.log"
    fail "shellcheck of the rendered scripts"
  fi
else
  echo "SKIPPED: shellcheck of the rendered scripts: shellcheck not installed (apt-get install shellcheck)"
fi

# cloud-init documents.
for f in "$out"/cloudinit__*; do
  if [ "$(head -n1 "$f")" != "#cloud-config" ]; then
    fail "$(basename "$f") does not start with #cloud-config"
  elif command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null; then
    if python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert d["write_files"] and d["runcmd"]' "$f" 2>"$work/yaml.err"; then
      ok "$(basename "$f") is a cloud-config document with write_files and runcmd"
    else
      fail "$(basename "$f"): $(tail -1 "$work/yaml.err")"
    fi
  else
    ok "$(basename "$f") starts with #cloud-config (no python3 yaml module to parse it)"
  fi
done

# strata.yaml through Strata's own parser.
jar=${STRATA_JAR:-$repo/ingest/target/strata.jar}
if [ -f "$jar" ] && command -v java >/dev/null; then
  java -cp "$jar" "$here/scripts/CheckStrataConfig.java" "$out"/yaml__* >"$work/strata-config.log" 2>&1
  rc=$?
  cat "$work/strata-config.log"
  case $rc in
    0) ok "Strata accepts every rendered strata.yaml" ;;
    3) ;;
    *) fail "Strata refuses a rendered strata.yaml" ;;
  esac
else
  echo "SKIPPED: Strata's parser on the rendered strata.yaml: no $jar (build it with mvn package) or no java"
fi

# The `configure new` guard against a fake fdbcli.
if ! command -v python3 >/dev/null; then
  echo "SKIPPED: configure-database guard: python3 not installed (the script parses status json with it)"
else
  guard="$work/guard"
  mkdir -p "$guard/bin"
  cat >"$guard/bin/fdbcli" <<'FAKE'
#!/usr/bin/env bash
# Fake fdbcli: `status json` answers the next state of $FAKE_FDB_STATES (the last one repeats).
echo "$*" >>"$FAKE_FDB_LOG"
command=""
while [ $# -gt 0 ]; do
  case "$1" in
    --exec) command=$2; shift 2 ;;
    *) shift ;;
  esac
done
case "$command" in
  "status json")
    state=$(head -n1 "$FAKE_FDB_STATES")
    if [ "$(wc -l <"$FAKE_FDB_STATES")" -gt 1 ]; then sed -i 1d "$FAKE_FDB_STATES"; fi
    case "$state" in
      unreachable) echo '{"client": {"coordinators": {"quorum_reachable": false}}, "cluster": {}}' ;;
      garbage) echo 'Unable to connect to cluster'; exit 1 ;;
      nocontroller) echo '{"client": {"coordinators": {"quorum_reachable": true}}, "cluster": {}}' ;;
      *) printf '{"client": {"coordinators": {"quorum_reachable": true}}, "cluster": {"recovery_state": {"name": "%s"}}}\n' "$state" ;;
    esac
    ;;
  configure\ new*) echo "Database created" ;;
  *) exit 1 ;;
esac
FAKE
  printf '#!/bin/sh\nexit 0\n' >"$guard/bin/sleep"
  chmod +x "$guard/bin/fdbcli" "$guard/bin/sleep"
  marker_line=$(grep -o "^MARKER='[^']*'" "$out/bash__fdb_configure_database")
  if ! grep -q '^for attempt in $(seq 1 90); do$' "$out/bash__fdb_configure_database"; then
    fail "configure guard: the rendered script no longer has the attempt loop the scenarios shorten (for attempt in \$(seq 1 90))"
  fi
  expected=$(terraform -chdir="$fixture" output -state="$work/render.tfstate" -raw configure_command 2>/dev/null)

  # scenario NAME EXPECTED_CONFIGURES EXPECTED_EXIT MARKER_BEFORE(yes/no) STATES...
  scenario() {
    local name=$1 configures=$2 exit_expected=$3 marker_before=$4
    shift 4
    local dir="$guard/$name"
    mkdir -p "$dir"
    printf '%s\n' "$@" >"$dir/states"
    : >"$dir/fdbcli.log"
    rm -f "$dir/marker"
    if [ "$marker_before" = yes ]; then touch "$dir/marker"; fi
    # Ten attempts, not the script's 90 (the longest scenario needs five): each is a real python3 parse
    # of the fake status, and 90 of them took half a minute where the coordinators never answer.
    sed -e "s|^$marker_line|MARKER='$dir/marker'|" -e 's|^for attempt in $(seq 1 90); do$|for attempt in $(seq 1 10); do|' \
      "$out/bash__fdb_configure_database" >"$dir/configure.sh"
    PATH="$guard/bin:$PATH" FAKE_FDB_STATES="$dir/states" FAKE_FDB_LOG="$dir/fdbcli.log" bash "$dir/configure.sh" >"$dir/out.log" 2>&1
    local rc=$?
    local n
    n=$(grep -cF -- "--exec $expected" "$dir/fdbcli.log" || true)
    if [ "$rc" -ne "$exit_expected" ] || [ "$n" -ne "$configures" ]; then
      cat "$dir/out.log"
      fail "configure guard, $name: exit $rc (expected $exit_expected), '$expected' run $n times (expected $configures)"
    elif [ "$exit_expected" -eq 0 ] && [ ! -e "$dir/marker" ]; then
      fail "configure guard, $name: no marker written"
    else
      ok "configure guard, $name: '$expected' run $n times, exit $rc"
    fi
  }
  scenario new-cluster 1 0 no configuration_never_created
  scenario marker-present 0 0 yes configuration_never_created
  scenario existing-database 0 0 no fully_recovered
  scenario recovering-database 0 0 no unreachable accepting_commits
  scenario coordinators-come-up 1 0 no garbage unreachable nocontroller reading_coordinated_state configuration_never_created
  scenario configuration-missing-never-new 0 0 no garbage configuration_missing
  scenario coordinators-never-answer 0 1 no unreachable
  if [ -s "$guard/marker-present/fdbcli.log" ]; then
    fail "configure guard, marker-present: fdbcli was called although the marker exists"
  fi
fi

exit $failed
