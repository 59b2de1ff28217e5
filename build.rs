//! Link settings for release builds on Linux with glibc, both to keep less of the
//! binary resident (docs/BENCHMARKS.md):
//!
//! - Relative relocations are packed (DT_RELR): the loader then reads a few
//!   kilobytes of them instead of a megabyte and a half. Such a binary starts on
//!   glibc 2.36 or later (the linker only packs them when the glibc it links
//!   against has them); a linker that does not know the option warns and leaves
//!   it out.
//! - On x86_64, where Rust links with its own lld unless told otherwise, the
//!   functions a send runs (`link/symbol-order.txt`) are laid out together. A name
//!   the build does not have is skipped without a word: a stale list costs memory,
//!   never a failed link. With another linker (one set in RUSTFLAGS or Cargo's
//!   config) the option is left out, since GNU ld does not know it, and so it is
//!   without the list.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/symbol-order.txt");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("PROFILE") != "release"
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
    {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let own_linker = var("RUSTC_LINKER").is_empty()
        && !["linker", "fuse-ld", "link-self-contained"]
            .iter()
            .any(|flag| flags.contains(flag));
    let order = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("link/symbol-order.txt");
    if var("CARGO_CFG_TARGET_ARCH") == "x86_64" && own_linker && order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
