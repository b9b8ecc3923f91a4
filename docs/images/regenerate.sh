#!/usr/bin/env bash
# Regenerates the README's images from the reference scenario: backlog.png exactly as
# `syncsim run` writes it, dashboard.png, a 1200x1400 screenshot of the run's dashboard.html
# in headless Chromium, and serve.png, the what-if page. Run from anywhere:
# bash docs/images/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(mktemp -d)"
profile="$(mktemp -d)"
trap 'rm -rf "$out" "$profile"' EXIT

cargo run --release --quiet -- run scenarios/reference.toml --out "$out" --quiet
cp "$out/backlog.png" docs/images/backlog.png
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1200,1400 \
  --screenshot="$PWD/docs/images/dashboard.png" "file://$out/dashboard.html" 2>/dev/null
ls -l docs/images/backlog.png docs/images/dashboard.png

# serve.png: the what-if page of `syncsim serve` (release build) after raising the throughput of
# reference-tenth to 8,000, as the browser test leaves it (it needs chromium-driver too).
cargo build --release --quiet
SYNCSIM_BIN="$PWD/target/release/syncsim" cargo test --quiet --test behaviour serve_browser
cp target/serve-browser/whatif-reference-tenth.png docs/images/serve.png
ls -l docs/images/serve.png
