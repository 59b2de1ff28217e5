//! Release builds on Linux with glibc pack their relative relocations (DT_RELR):
//! the loader then reads a few kilobytes of them instead of a megabyte and a
//! half, and that much less of the binary is resident. Such a binary starts on
//! glibc 2.36 or later (the linker only packs them when the glibc it links
//! against has them); a linker that does not know the option warns and leaves
//! it out.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("PROFILE") == "release"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
