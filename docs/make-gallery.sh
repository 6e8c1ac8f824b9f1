#!/usr/bin/env bash
# Rebuilds the README's gallery (docs/gallery/*.png) with the project's own CLI from ../shared/fixtures
# and test/fixtures/quality, at the default options (512 px, strength 5, automatic balance, tiles auto,
# quick schedule) and seed 7; the palettes are drawn at half the result's size, as in chat.
# Run from the repository root: bash docs/make-gallery.sh   (several minutes on CPU)
set -euo pipefail
fixtures=${FIXTURES:-../shared/fixtures}
extra=test/fixtures/quality
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
# The rows: one content and one style each, everything at its default.
run dog-scream "$fixtures/dog.jpg" "$fixtures/scream.jpg"
run person-controller "$fixtures/person.jpg" "$fixtures/game-controller.png"
run eagle-guitar "$fixtures/eagle.jpg" "$fixtures/guitar.png"
run dog-face "$fixtures/dog.jpg" "$fixtures/face.png"
# A portrait photo (head and shoulders) as the style: on the dog, a person, and a herd with small subjects.
run dog-portrait "$fixtures/dog.jpg" "$extra/style-portrait.jpg"
run person-portrait "$fixtures/person.jpg" "$extra/style-portrait.jpg"
run horses-portrait "$extra/content-horses.jpg" "$extra/style-portrait.jpg"
# Half-length portraits, cut to the face by crop=auto (the default), and as they were before, whole
# (crop=none): the astronaut the head-and-shoulders portrait was cut from by hand, and Grace Hopper.
run dog-astronaut "$fixtures/dog.jpg" "$extra/style-astronaut.jpg"
run dog-astronaut-whole "$fixtures/dog.jpg" "$extra/style-astronaut.jpg" --crop none --tiles 6
run person-hopper "$fixtures/person.jpg" "$extra/style-hopper.jpg"
run person-hopper-whole "$fixtures/person.jpg" "$extra/style-hopper.jpg" --crop none --tiles 6
# Small subjects: people on a beach under the astronaut's faces, cut and whole.
run kites-astronaut "$extra/content-kites.jpg" "$extra/style-astronaut.jpg"
run kites-astronaut-whole "$extra/content-kites.jpg" "$extra/style-astronaut.jpg" --crop none --tiles 6

# Rows from the broad quality set (npx tsx bench/quality-set.ts assembles it into ../quality-set).
broad=${TILESTYLE_QUALITY_SET:-../quality-set}
if [[ -d $broad ]]; then
  run coffee-tiger "$broad/content/coffee.jpg" "$broad/style/tiger.png"
  run cat-indoors-capybara "$broad/content/cat-indoors.jpg" "$broad/style/capybara.png"
  run dusk-lake-banana "$broad/content/dusk-lake.jpg" "$broad/style/banana.png"
fi

# Tiling at work: the guitar's palette with 1, 4 and 8 tiles.
for n in 1 4 8; do
  run "guitar-tiles$n" --palette "$fixtures/guitar.png" --tiles "$n" --size 192
done

# The same dog and face at 1, 2, 4 and 8 tiles: palette at 256 px (face-tilesN) and result (dog-face-tilesN).
for n in 1 2 4 8; do
  run "face-tiles$n" --palette "$fixtures/face.png" --tiles "$n" --size 256
  run "dog-face-tiles$n" "$fixtures/dog.jpg" "$fixtures/face.png" --tiles "$n" --no-palette
done
