#!/usr/bin/env bash
# Builds NioChatFFI.xcframework (device and simulators) next to Package.swift, on a Mac with
# Xcode. Run from this folder, with NIOCHAT_SOURCE pointing at a niochat checkout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source="${NIOCHAT_SOURCE:?set NIOCHAT_SOURCE to the niochat repository}"
rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
cd "$source"
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo rustc -p niochat-ffi --profile ffi-release --target "$target" --crate-type staticlib
done
mkdir -p target/ios-sim
lipo -create target/aarch64-apple-ios-sim/ffi-release/libniochat_ffi.a \
  target/x86_64-apple-ios/ffi-release/libniochat_ffi.a -output target/ios-sim/libniochat_ffi.a
rm -rf "$here/NioChatFFI.xcframework"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/ffi-release/libniochat_ffi.a -headers "$here/xcframework-inputs/include" \
  -library target/ios-sim/libniochat_ffi.a -headers "$here/xcframework-inputs/include" \
  -output "$here/NioChatFFI.xcframework"
