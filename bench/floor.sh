#!/usr/bin/env bash
# Method (d) of the benchmark, the one-pass floor: every base backup object read from the S3 server
# once, decompressed and written once, as one stream per object: curl GET | gunzip | tar x into a
# fresh directory. No WAL, no Barman, no replay: the least any restore has to do to get the base backup
# onto disk.
# usage: floor.sh --dest DIR [--phases FILE] [--gunzip node|gzip]
#   --gunzip: Node's zlib (default: the inflater the worker's extraction uses, and 3-4x faster here than
#   GNU gzip's own, see the benchmark's floor components) or GNU gzip -dc
#   s3_get KEY (function, also used by run-bench.sh): stream one object to stdout
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

# s3_get KEY: GET s3://$PITR_BUCKET/KEY to stdout with curl (SigV4, path-style; keys via a config on a pipe, not argv).
s3_get() {
  local endpoint=${AWS_ENDPOINT_URL_S3:-$AWS_ENDPOINT_URL}
  curl -sS --fail --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    -K <(printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY") \
    "$endpoint/$PITR_BUCKET/$1"
}

node_gunzip() { node -e "process.stdin.pipe(require('zlib').createGunzip({chunkSize: 1 << 20})).pipe(process.stdout)"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  dest="" gunzip=node
  while (( $# )); do
    case $1 in
      --dest) dest=$2; shift 2 ;;
      --phases) PHASES_FILE=$2; shift 2 ;;
      --gunzip) gunzip=$2; shift 2 ;;
      *) die "unknown argument '$1'" ;;
    esac
  done
  [[ -n $dest ]] || die "usage: $0 --dest DIR [--phases FILE] [--gunzip gzip|node]"
  load_stack_env
  t=$(now_s)
  mkdir -p "$dest/data"
  while read -r key; do
    case ${key##*/} in
      *.tar.gz)
        target="$dest/data"
        [[ ${key##*/} == data* ]] || target="$dest/${key##*/}"; target=${target%%.tar.gz}; mkdir -p "$target"
        if [[ $gunzip == node ]]; then s3_get "$key" | node_gunzip | tar xf - -C "$target"
        else s3_get "$key" | gzip -dc | tar xf - -C "$target"; fi ;;
      *) s3_get "$key" >"$dest/${key##*/}" ;;
    esac
  done < <("$SYS_PYTHON" -c 'import json,sys; [print(o["key"]) for o in json.load(open(sys.argv[1]))["baseObjects"]]' "$BENCH_FIXTURE")
  phase download_and_extract "$t"
  say "floor OK: $(du -sb "$dest" | cut -f1) bytes in $dest"
fi
