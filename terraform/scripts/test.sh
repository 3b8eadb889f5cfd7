#!/usr/bin/env bash
# Every check of the Terraform deployment that needs no AWS account (terraform/README.md, "Tests"):
#   1. terraform fmt -check -recursive
#   2. terraform test in every providerless module (plan-mode runs with asserts and expect_failures)
#   3. scripts/check-rendered.sh: rendered scripts, strata.yaml through Strata's parser, the
#      `configure new` guard against a fake fdbcli
#   4. the README's Inputs/Outputs tables (TerraformDocs.java --check)
#   5. where the providers install: validate of the AWS modules, the root module and the
#      examples, terraform test of the root module (mocked providers), plan of an example that
#      has a terraform.tfvars; otherwise a SKIPPED line with the command to run.
# Terraform runs with TF_DATA_DIR in a temporary directory, and provider checks on a copy of the
# tree, so no .terraform/, lock or state file is left behind (checked at the end). Steps 3 and 5
# run two checks at a time (TF_CHECK_JOBS), each into its own logs, and are reported once all are
# done, in the order they started.
# Environment: TF_PLUGIN_DIR (optional) a local provider directory for `terraform init -plugin-dir`;
# STRATA_JAR (optional) the strata.jar to read strata.yaml with.
# Exit status: 0 when nothing failed (skipped checks do not fail).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/.." && pwd)
work=$(mktemp -d)
# Checks still running in the background (an interrupted run) stop before their directory goes.
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$work"' EXIT
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

passed=0
failed=0
skipped=0
pass() {
  echo "PASS: $*"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}
skip() {
  echo "SKIPPED: $*"
  skipped=$((skipped + 1))
}
# run LOG COMMAND…: runs the command with its output in LOG; prints the log's tail on failure.
run() {
  local log=$1
  shift
  if "$@" >"$log" 2>&1; then
    return 0
  fi
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^\s*$' | tail -40
  return 1
}
# job NAME COMMAND…: runs a check in the background, at most $jobs_max at a time, its output kept
# for report; the logs of run() inside it go under $work/NAME. One at a time where bash has no
# `wait -n` (before 4.3) or Terraform shares a plugin cache (not safe for concurrent inits).
jobs_max=${TF_CHECK_JOBS:-2}
case "$jobs_max" in '' | *[!0-9]* | 0) jobs_max=1 ;; esac
if [ "${BASH_VERSINFO[0]}" -lt 4 ] || { [ "${BASH_VERSINFO[0]}" -eq 4 ] && [ "${BASH_VERSINFO[1]}" -lt 3 ]; } ||
  [ -n "${TF_PLUGIN_CACHE_DIR:-}" ] || grep -qs plugin_cache_dir "${TF_CLI_CONFIG_FILE:-$HOME/.terraformrc}"; then
  jobs_max=1
fi
job_done="@@check finished@@"
job_names=()
job() {
  local name=$1
  shift
  mkdir -p "$work/$name"
  if [ "$jobs_max" -le 1 ]; then
    # A subshell, as in the background: report counts its results.
    ("$@"; echo "$job_done") >"$work/$name.out" 2>&1
  else
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
      wait -n
    done
    { "$@"; echo "$job_done"; } >"$work/$name.out" 2>&1 &
  fi
  job_names+=("$name")
}
# report: waits for the jobs and prints their output in the order they were started, counting
# their PASS, FAIL and SKIPPED lines (a job's own counters died with its subshell); a job that
# died before its end (no closing line) fails.
report() {
  wait
  local name line finished
  for name in "${job_names[@]}"; do
    finished=false
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        "$job_done") finished=true; continue ;;
        PASS:*) passed=$((passed + 1)) ;;
        FAIL:*) failed=$((failed + 1)) ;;
        SKIPPED:*) skipped=$((skipped + 1)) ;;
      esac
      echo "$line"
    done <"$work/$name.out"
    if [ "$finished" != true ]; then
      fail "check $name stopped before its end (output above)"
    fi
  done
  job_names=()
}
leftovers() {
  find "$here" \( -name .terraform -o -name .terraform.lock.hcl -o -name '*.tfstate' -o -name '*.tfstate.backup' \) -print | sort
}

if ! command -v terraform >/dev/null; then
  echo "FAIL: terraform is not installed"
  echo "terraform: 0 passed, 1 failed"
  exit 1
fi
before=$(leftovers)
echo "terraform $(terraform version 2>/dev/null | head -1 | cut -d' ' -f2), checks of $here"

# 1. Formatting.
if run "$work/fmt.log" terraform fmt -check -recursive -diff "$here"; then
  pass "terraform fmt -check -recursive"
else
  fail "terraform fmt -check -recursive (run: terraform fmt -recursive terraform)"
fi

# 2. terraform test in every providerless module that has tests.
for tests in $(find "$here" -path '*/.terraform' -prune -o -type d -name tests -print | sort); do
  dir=$(dirname "$tests")
  rel=${dir#"$repo"/}
  compgen -G "$tests/*.tftest.hcl" >/dev/null || continue
  if grep -qs required_providers "$dir"/*.tf; then
    continue # needs providers: step 5
  fi
  data="$work/tf-$(echo "$rel" | tr '/' '_')"
  if run "$work/init.log" env TF_DATA_DIR="$data" terraform -chdir="$dir" init -backend=false -input=false -no-color &&
    run "$work/test.log" env TF_DATA_DIR="$data" terraform -chdir="$dir" test -no-color; then
    pass "terraform test $rel ($(grep -o '[0-9]* passed' "$work/test.log" | tail -1))"
  else
    fail "terraform test $rel"
  fi
done

# 3. The rendered files (in the background, beside steps 3b to 5).
rendered_checks() {
  if bash "$here/scripts/check-rendered.sh" "$work/rendered" >"$work/rendered.log" 2>&1; then
    grep '^SKIPPED' "$work/rendered.log" | while read -r line; do echo "  $line"; done
    pass "scripts/check-rendered.sh ($(grep -c '^ok' "$work/rendered.log") checks)"
  else
    # Indented: its own FAIL lines are not counted as checks of this script.
    grep -v '^ok' "$work/rendered.log" | sed 's/^/  /'
    fail "scripts/check-rendered.sh"
  fi
}
job rendered rendered_checks

# 3b. The settings strata-node-config accepts in extra_settings must be real Strata settings.
reference="$repo/docs/configuration.md"
if [ -f "$reference" ]; then
  # shellcheck disable=SC2016 # the backquotes are Markdown, not a command
  sed -n '/^## Broker settings/,/^## /p' "$reference" | sed -n 's/^| `\([a-z0-9.]*\)` |.*/\1/p' | sort -u >"$work/docs-keys"
  sed -n '/known_settings = \[/,/\]/p' "$here/modules/strata-node-config/settings.tf" | sed -n 's/^ *"\([a-z0-9.]*\)",$/\1/p' | sort -u >"$work/module-keys"
  unknown=$(comm -23 "$work/module-keys" "$work/docs-keys" | tr '\n' ' ')
  newer=$(comm -13 "$work/module-keys" "$work/docs-keys" | tr '\n' ' ')
  if [ ! -s "$work/docs-keys" ] || [ ! -s "$work/module-keys" ]; then
    fail "cannot read the settings of docs/configuration.md or modules/strata-node-config/settings.tf"
  elif [ -n "$unknown" ]; then
    fail "modules/strata-node-config/settings.tf names settings docs/configuration.md does not have: $unknown"
  else
    pass "the $(wc -l <"$work/module-keys") settings strata-node-config knows are all in docs/configuration.md"
    if [ -n "$newer" ]; then
      echo "  note: docs/configuration.md has settings extra_settings does not accept yet (add them to modules/strata-node-config/settings.tf): $newer"
    fi
  fi
else
  skip "settings check: no docs/configuration.md"
fi

# 4. The README's tables.
if command -v java >/dev/null; then
  if run "$work/docs.log" java "$here/scripts/TerraformDocs.java" --dir "$here" --check; then
    pass "README Inputs/Outputs tables match variables.tf and outputs.tf"
  else
    fail "README tables out of step (run: java terraform/scripts/TerraformDocs.java)"
  fi
else
  fail "java is not installed (needed for the docs check)"
fi

# 5. What needs the aws provider: on a copy of the tree, so that lock files stay out.
tree="$work/tree"
mkdir -p "$tree"
(cd "$here" && tar --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' -cf - .) | (cd "$tree" && tar -xf -)
init_args=(-backend=false -input=false -no-color)
if [ -n "${TF_PLUGIN_DIR:-}" ]; then
  init_args+=("-plugin-dir=$TF_PLUGIN_DIR")
fi
# provider_checks REL JOB: validate, test and plan of one directory of the tree copy.
provider_checks() {
  local rel=$1 job=$2 name=terraform data missing what
  [ "$rel" = . ] || name="terraform/$rel"
  data="$work/tfp-$(echo "$rel" | tr '/.' '__')"
  if ! TF_DATA_DIR="$data" terraform -chdir="$tree/$rel" init "${init_args[@]}" >"$work/$job/init.log" 2>&1; then
    missing=$(sed -n '/Error/,$p' "$work/$job/init.log" | grep -o 'hashicorp/[a-z0-9]*:' | tr -d ':' | sort -u | tr '\n' ' ')
    what="AWS provider not available"
    case "$missing" in hashicorp/aws*) ;; ?*) what="provider ${missing% } not available" ;; esac
    skip "$name: $what; run: terraform -chdir=$name init -backend=false && terraform -chdir=$name validate"
    return
  fi
  if run "$work/$job/validate.log" env TF_DATA_DIR="$data" terraform -chdir="$tree/$rel" validate -no-color; then
    pass "terraform validate $name"
  else
    fail "terraform validate $name"
    return
  fi
  if compgen -G "$tree/$rel/tests/*.tftest.hcl" >/dev/null; then
    if run "$work/$job/test.log" env TF_DATA_DIR="$data" terraform -chdir="$tree/$rel" test -no-color; then
      pass "terraform test $name (mocked providers: $(grep -o '[0-9]* passed' "$work/$job/test.log" | tail -1))"
    else
      fail "terraform test $name (mocked providers)"
    fi
  fi
  case "$rel" in
    examples/*)
      if [ -f "$tree/$rel/terraform.tfvars" ]; then
        if run "$work/$job/plan.log" env TF_DATA_DIR="$data" terraform -chdir="$tree/$rel" plan -no-color -lock=false -refresh=true; then
          pass "terraform plan $name"
        else
          fail "terraform plan $name (needs AWS credentials and the VPC of terraform.tfvars)"
        fi
      else
        skip "plan of $name: needs AWS credentials and a VPC; run: cp terraform.tfvars.example terraform.tfvars (edit it), then terraform -chdir=$name plan"
      fi
      ;;
  esac
}
n=0
for rel in modules/bucket modules/security-groups modules/iam modules/fdb-cluster modules/strata-nodes . examples/basic examples/dev; do
  n=$((n + 1))
  job "provider-$n" provider_checks "$rel" "provider-$n"
done
report

# The tree is left as it was.
after=$(leftovers)
if [ "$before" = "$after" ]; then
  pass "no .terraform/, lock or state file left in $(basename "$here")/"
else
  fail "files left in the tree: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
fi

echo "terraform: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
