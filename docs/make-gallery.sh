#!/usr/bin/env bash
# Rebuilds the README's gallery (docs/gallery/*.png) with the project's own CLI from ../shared/fixtures.
# Run from the repository root: bash docs/make-gallery.sh   (a few minutes on CPU)
set -euo pipefail
fixtures=${FIXTURES:-../shared/fixtures}
out=docs/gallery
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run <name> <cli args...>: writes $out/<name>-result.png and/or $out/<name>-palette.png
run() {
  local name=$1; shift
  npm run --silent stylize -- "$@" --out "$tmp/$name" --seed 7
  for kind in result palette; do
    if [[ -f $tmp/$name/$kind.png ]]; then cp "$tmp/$name/$kind.png" "$out/$name-$kind.png"; fi
  done
}

mkdir -p "$out"
run dog-scream "$fixtures/dog.jpg" "$fixtures/scream.jpg" --size 256
run guitar-tiles1 --palette "$fixtures/guitar.png" --tiles 1 --size 192
run guitar-tiles4 --palette "$fixtures/guitar.png" --tiles 4 --size 192
run guitar-tiles8 --palette "$fixtures/guitar.png" --tiles 8 --size 192
run eagle-guitar "$fixtures/eagle.jpg" "$fixtures/guitar.png" --tiles 4 --size 256 --content-weight 5 --no-palette
run person-controller "$fixtures/person.jpg" "$fixtures/game-controller.png" --tiles 8 --size 256
run dog-face "$fixtures/dog.jpg" "$fixtures/face.png" --tiles 6 --size 256 --content-weight 5 --no-palette
