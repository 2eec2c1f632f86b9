#!/usr/bin/env bash
# Builds the npm package `xmarks` into wasm/pkg: the binding compiled for wasm32 with the size
# profile, wasm-bindgen (pinned to Cargo.lock) for ES modules, wasm-opt -Oz (binaryen, pinned in
# wasm/tests/package-lock.json), then the package files from wasm/npm. Prints the .wasm's sizes
# and fails over the size ceiling in wasm/size-budget.json. Binding-internal files are not shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/tools.sh wasm
bash scripts/tools.sh node wasm/tests

cargo build -p xmarks-wasm --target wasm32-unknown-unknown --profile wasm
rm -rf wasm/pkg
wasm-bindgen --target web --out-name xmarks --out-dir wasm/pkg \
  target/wasm32-unknown-unknown/wasm/xmarks_wasm.wasm
# The features wasm-bindgen's output uses (Rust's wasm32 defaults); wasm-opt also strips names.
wasm/tests/node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  --enable-multivalue --enable-reference-types \
  wasm/pkg/xmarks_bg.wasm -o wasm/pkg/xmarks_bg.wasm
# The package's module is wasm/npm/xmarks.js, over wasm-bindgen's bindings (renamed bindings.js);
# the JS half of the data boundary (wasm/src/encode.js) sits beside them as encode.js, not in
# wasm-bindgen's hashed snippets folder, so that the package's file list is fixed.
mv wasm/pkg/xmarks.js wasm/pkg/bindings.js
mv wasm/pkg/snippets/xmarks-wasm-*/src/encode.js wasm/pkg/encode.js
rm -r wasm/pkg/snippets
sed -i "s#'./snippets/xmarks-wasm-[0-9a-f]*/src/encode.js'#'./encode.js'#" wasm/pkg/bindings.js
grep -q "from './encode.js'" wasm/pkg/bindings.js || { echo "build.sh: bindings.js does not import ./encode.js" >&2; exit 1; }
rm -f wasm/pkg/.gitignore wasm/pkg/xmarks_bg.wasm.d.ts
node wasm/npm/types.mjs wasm/pkg/xmarks.d.ts
cp wasm/npm/xmarks.js wasm/npm/worker.js wasm/npm/node.js wasm/npm/README.md LICENSE-MIT LICENSE-APACHE wasm/pkg/
version=$(awk -F'"' '/^\[workspace.package\]/ { p = 1 } p && /^version/ { print $2; exit }' Cargo.toml)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" wasm/npm/package.json > wasm/pkg/package.json
node wasm/tests/size.mjs wasm/pkg/xmarks_bg.wasm
