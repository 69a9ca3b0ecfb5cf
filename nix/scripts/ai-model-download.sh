#!/usr/bin/env bash
# ai-model-download: fetch the selected registry models into the model store,
# verify them, and record where they came from. It runs in the background (the
# inference units do not wait for it): they report `downloading` with the
# progress this script publishes, and load each model once it is in place.
#
# Environment (set by nix/modules/model-download.nix):
#   AI_STACK_MODELS_DIR        the model store, e.g. /var/lib/ai-stack/models
#   AI_STACK_DOWNLOAD_PLAN     TSV, one model per line: id, hf_repo, hf_file, sha256 ("-" = unknown),
#                              size ("-" = unknown), revision ("-" = unknown)
#   AI_STACK_ALLOWLIST         file with one allowed repository per line
#   AI_STACK_DOWNLOAD_BASE_URL e.g. https://huggingface.co (plain http only for a loopback mirror)
#   AI_STACK_DOWNLOAD_STATUS   optional, the progress file (default <store>/download-status.json)
#   AQ                         the aq CLI (for `aq models inspect FILE --sha256 HEX`)
#   CURL                       optional, the curl command (tests substitute a fake)
#
# For each model: refuse it when its repository is not allowlisted or its
# sha256 or its upstream revision is unknown; skip it when it is already
# present and recorded; otherwise download <base>/<repo>/resolve/<revision>/<file>
# into <store>/.incoming, resuming a partial file left by an interrupted run
# (HTTP Range, curl -C -), check its sha256, run the GGUF safety check (exit 2 =
# refused), then move it into place (one rename: a model file is either absent
# or complete) and write its provenance record.
# models/provenance.json lists {model, hf_repo, hf_file, revision, sha256,
# downloaded_at} for every model of the plan that is present.
#
# The progress file, rewritten (atomically) at every step:
#   {"updated_at": "...", "models": {"<hf_file>": {"model": "<id>", "state": "<state>",
#     "bytes_total": N|null, "partial": ".incoming/<name>", "error": "..."}}}
# state: queued, downloading, verifying, installed, failed (will be retried), refused.
# While a file downloads, its partial file (relative to the store) grows: readers
# stat it for the bytes done.
#
# Exit status, after trying every model: 0 when all are installed; 1 when any was
# refused (fix lib/models.json; retrying cannot help); 75 (EX_TEMPFAIL) when a
# download failed and nothing was refused: the unit restarts and resumes.
set -euo pipefail

models_dir=${AI_STACK_MODELS_DIR:?AI_STACK_MODELS_DIR is not set}
plan=${AI_STACK_DOWNLOAD_PLAN:?AI_STACK_DOWNLOAD_PLAN is not set}
allowlist=${AI_STACK_ALLOWLIST:?AI_STACK_ALLOWLIST is not set}
base_url=${AI_STACK_DOWNLOAD_BASE_URL:?AI_STACK_DOWNLOAD_BASE_URL is not set}
status_file=${AI_STACK_DOWNLOAD_STATUS:-$models_dir/download-status.json}
aq=${AQ:-aq}
curl_cmd=${CURL:-curl}

incoming="$models_dir/.incoming"
records="$models_dir/provenance.d"
mkdir -p "$incoming" "$records"

# Only https, except for a mirror on this machine.
proto='=https'
case "$base_url" in
  http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | http://localhost/* | http://\[::1\]*) proto='=http,https' ;;
esac

refused=0
failed=0
present=()

say() { printf 'ai-model-download: %s\n' "$*" >&2; }
refuse() {
  say "refused $1: $2"
  refused=1
}

# The progress file: one JSON object per model file, in plan order.
declare -A progress=()
order=()
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/ }
  printf '"%s"' "$s"
}
write_status() {
  local k sep=''
  {
    printf '{"updated_at": "%s", "models": {' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    for k in "${order[@]}"; do
      printf '%s\n  %s: %s' "$sep" "$(json_string "$k")" "${progress[$k]}"
      sep=','
    done
    printf '\n}}\n'
  } >"$status_file.tmp"
  mv -f "$status_file.tmp" "$status_file"
}
# set_status FILE ID STATE TOTAL PARTIAL [ERROR]
set_status() {
  local total=$4 entry
  [[ "$total" =~ ^[0-9]+$ ]] || total=null
  entry="{\"model\": $(json_string "$2"), \"state\": \"$3\", \"bytes_total\": $total"
  [ -n "$5" ] && entry+=", \"partial\": $(json_string "$5")"
  [ -n "${6:-}" ] && entry+=", \"error\": $(json_string "$6")"
  [[ -v "progress[$1]" ]] || order+=("$1")
  progress[$1]="$entry}"
  write_status
}

entries=()
while IFS=$'\t' read -r id repo file sha size rev || [ -n "${id:-}" ]; do
  [ -z "${id:-}" ] && continue
  entries+=("$id"$'\t'"$repo"$'\t'"$file"$'\t'"$sha"$'\t'"${size:--}"$'\t'"${rev:--}")
done <"$plan"

# Every model of the plan is queued first, so readers see the whole plan at once.
for line in "${entries[@]}"; do
  IFS=$'\t' read -r id repo file sha size rev <<<"$line"
  [[ "$file" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] && set_status "$file" "$id" queued "$size" ""
done

for line in "${entries[@]}"; do
  IFS=$'\t' read -r id repo file sha size rev <<<"$line"

  # Registry values become paths, URLs and JSON strings below: allow only plain characters.
  if [[ ! "$id" =~ ^[A-Za-z0-9._-]+$ || ! "$repo" =~ ^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$ || ! "$file" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    refuse "$id" "registry entry has unexpected characters (id '$id', repo '$repo', file '$file')"
    continue
  fi
  why=''
  if ! grep -qxF -- "$repo" "$allowlist"; then
    why="repository $repo is not on the registry allowlist"
  elif [[ ! "$sha" =~ ^[0-9a-f]{64}$ ]]; then
    why="registry entry has no sha256; fill in its real sha256 in lib/models.json"
  elif [[ ! "$rev" =~ ^[0-9a-f]{40}$ ]]; then
    why="registry entry has no revision; fill in the upstream commit its sha256 was published at in lib/models.json"
  fi
  if [ -n "$why" ]; then
    refuse "$id" "$why"
    set_status "$file" "$id" refused "$size" "" "$why"
    continue
  fi

  dest="$models_dir/$file"
  record="$records/$id.json"
  if [ -f "$dest" ] && [ -f "$record" ] && grep -qF "\"sha256\": \"$sha\"" "$record"; then
    if [[ "$size" =~ ^[0-9]+$ ]] && [ "$(stat -c %s "$dest")" != "$size" ]; then
      say "$id: $file has the wrong size; downloading it again"
    else
      say "$id: $file is present and verified"
      set_status "$file" "$id" installed "$size" ""
      present+=("$id")
      continue
    fi
  fi

  # The partial file is named by the sha256 it must end up with, so a run for
  # another revision never resumes it.
  part=".incoming/${sha:0:16}-$file"
  tmp="$models_dir/$part"
  resumed=0
  if [ -f "$tmp" ]; then
    have=$(stat -c %s "$tmp")
    if [[ "$size" =~ ^[0-9]+$ ]] && [ "$have" -gt "$size" ]; then
      say "$id: the partial download is larger than the file; starting again"
      rm -f "$tmp"
    else
      resumed=1
    fi
  fi
  url="$base_url/$repo/resolve/$rev/$file"
  set_status "$file" "$id" downloading "$size" "$part"
  if [[ "$size" =~ ^[0-9]+$ ]] && [ "$resumed" -eq 1 ] && [ "$(stat -c %s "$tmp")" -eq "$size" ]; then
    say "$id: $file was downloaded completely before; verifying it"
  else
    if [ "$resumed" -eq 1 ]; then say "$id: resuming $url at byte $(stat -c %s "$tmp")"; else say "$id: downloading $url"; fi
    rc=0
    code=$("$curl_cmd" --fail --location --silent --show-error --proto "$proto" --proto-redir "$proto" \
      --retry 3 --connect-timeout 30 --speed-limit 1024 --speed-time 120 \
      --continue-at - --write-out '%{http_code}' --output "$tmp" "$url") || rc=$?
    if [ "$rc" -eq 22 ] && [ "$code" = "416" ] && [ -f "$tmp" ]; then
      # Nothing left to fetch: the partial file is already whole. The sha256 says whether it is right.
      say "$id: the server has no more bytes after the partial download; verifying it"
    elif [ "$rc" -eq 33 ]; then
      # The server ignores Range: start again from the first byte on the next run.
      rm -f "$tmp"
      say "$id: download of $file failed: the server cannot resume; it will start again"
      set_status "$file" "$id" failed "$size" "" "the server cannot resume a download"
      failed=1
      continue
    elif [ "$rc" -ne 0 ]; then
      # Keep what arrived: the next run (the unit restarts) resumes from there.
      say "$id: download of $file failed (curl exit $rc); the partial file is kept and resumed on the next run"
      set_status "$file" "$id" failed "$size" "$part" "download failed (curl exit $rc)"
      failed=1
      continue
    fi
  fi

  set_status "$file" "$id" verifying "$size" "$part"
  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    rm -f "$tmp"
    if [ "$resumed" -eq 1 ]; then
      # A resumed file may have been damaged before; one fresh download decides.
      say "$id: sha256 mismatch after resuming a partial download; it will be downloaded again from the start"
      set_status "$file" "$id" failed "$size" "" "sha256 mismatch after resuming; downloading again"
      failed=1
    else
      refuse "$id" "sha256 mismatch: expected $sha, got $got"
      set_status "$file" "$id" refused "$size" "" "sha256 mismatch: expected $sha, got $got"
    fi
    continue
  fi

  set +e
  "$aq" models inspect "$tmp" --sha256 "$sha"
  rc=$?
  set -e
  if [ "$rc" -eq 2 ]; then
    rm -f "$tmp"
    refuse "$id" "the GGUF safety check (aq models inspect) refused $file"
    set_status "$file" "$id" refused "$size" "" "the GGUF safety check refused the file"
    continue
  elif [ "$rc" -ne 0 ]; then
    rm -f "$tmp"
    refuse "$id" "aq models inspect failed with exit code $rc"
    set_status "$file" "$id" refused "$size" "" "aq models inspect failed with exit code $rc"
    continue
  fi

  mv -f "$tmp" "$dest"
  printf '{"model": "%s", "hf_repo": "%s", "hf_file": "%s", "revision": "%s", "sha256": "%s", "downloaded_at": "%s"}\n' \
    "$id" "$repo" "$file" "$rev" "$sha" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$record.tmp"
  mv -f "$record.tmp" "$record"
  say "$id: verified and installed as $file"
  set_status "$file" "$id" installed "$size" ""
  present+=("$id")
done

{
  printf '['
  sep=''
  for id in "${present[@]}"; do
    printf '%s\n  ' "$sep"
    tr -d '\n' <"$records/$id.json"
    sep=','
  done
  printf '\n]\n'
} >"$models_dir/provenance.json.tmp"
mv -f "$models_dir/provenance.json.tmp" "$models_dir/provenance.json"

if [ "$refused" -ne 0 ]; then exit 1; fi
if [ "$failed" -ne 0 ]; then exit 75; fi
exit 0
