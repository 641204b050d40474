#!/usr/bin/env bash
# What a user of the installed package does: installs vibee from <build> into
# <work>/prefix and builds docs/examples/<example> against it (find_package(vibee))
# into <work>/build; logs in <work>, the build's shown when it fails.
#   build_installed_example.sh <build> <src> <work> <example> [<cmake -D option>...]
set -euo pipefail
build=$1 src=$2 work=$3 example=$4
shift 4
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$src/docs/examples/$example" -B "$work/build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$work/prefix" "$@" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
