// swift-tools-version:5.9
// The niochat Swift package. `cargo xtask test` assembles it in target/ffi/swift/NioChat with
// the generated Sources/NioChat/NioChat.swift and the C header and module map for the
// XCFramework; the XCFramework itself is built on a Mac (see the README's iOS section).
import PackageDescription

let package = Package(
    name: "NioChat",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "NioChat", targets: ["NioChat"]),
    ],
    targets: [
        .binaryTarget(name: "NioChatFFI", path: "NioChatFFI.xcframework"),
        .target(name: "NioChat", dependencies: ["NioChatFFI"], path: "Sources/NioChat"),
    ]
)
