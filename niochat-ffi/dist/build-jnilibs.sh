#!/usr/bin/env bash
# Builds src/main/jniLibs/<abi>/libniochat_ffi.so for an Android app, on a machine with the
# Android NDK (ANDROID_NDK_HOME) and cargo-ndk (`cargo install cargo-ndk`).
# Run from this folder, with NIOCHAT_SOURCE pointing at a niochat checkout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source="${NIOCHAT_SOURCE:?set NIOCHAT_SOURCE to the niochat repository}"
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
cd "$source"
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$here/src/main/jniLibs" \
  build -p niochat-ffi --profile ffi-release
