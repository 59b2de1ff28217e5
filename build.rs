//! Link settings for release builds on Linux with glibc, both to keep less of the
//! binary resident (docs/BENCHMARKS.md). Each is first tried on an empty program
//! built as this crate will be (same rustc, target, flags and linker), and used
//! only where that works, so that no toolchain gets a failed link or a binary that
//! cannot start:
//!
//! - Relative relocations are packed (DT_RELR): the loader then reads a few
//!   kilobytes of them instead of a megabyte and a half. The binary then needs
//!   glibc 2.36 or later, so the try must also run; when cross-compiling it is
//!   left out.
//! - The functions a send runs (`link/symbol-order.txt`) are laid out together
//!   (lld's `--symbol-ordering-file`, so the try fails with GNU ld). A name the
//!   build does not have is skipped without a word: a stale list costs memory,
//!   never a failed link.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("PROFILE") != "release"
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
    {
        return;
    }
    let Some(probe) = Probe::new() else {
        return;
    };
    let relr = ["-z", "pack-relative-relocs"];
    if var("HOST") == var("TARGET") && probe.links_and_runs(&relr) {
        for arg in relr {
            println!("cargo:rustc-link-arg-bins=-Xlinker");
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
    let order = Path::new(&var("CARGO_MANIFEST_DIR")).join("link/symbol-order.txt");
    if !order.is_file() {
        return;
    }
    println!("cargo:rerun-if-changed={}", order.display());
    let ordering = [
        format!("--symbol-ordering-file={}", order.display()),
        "--no-warn-symbol-ordering".to_string(),
    ];
    if probe.links(&ordering) {
        for arg in ordering {
            println!("cargo:rustc-link-arg-bins=-Xlinker");
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
}

/// An empty program, built by the rustc, for the target, with the flags and
/// the linker that build this crate.
struct Probe {
    out: PathBuf,
    source: PathBuf,
}

impl Probe {
    /// None where the program cannot be written (then nothing is tried).
    fn new() -> Option<Probe> {
        let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
        let source = out.join("link_probe.rs");
        std::fs::write(&source, "fn main() {}\n").ok()?;
        Some(Probe { out, source })
    }

    /// Whether the program links with `linker_args` passed to the linker.
    fn links<S: AsRef<str>>(&self, linker_args: &[S]) -> bool {
        self.build(linker_args).is_some()
    }

    /// Whether the program links with `linker_args` and then runs.
    fn links_and_runs<S: AsRef<str>>(&self, linker_args: &[S]) -> bool {
        self.build(linker_args).is_some_and(|program| {
            Command::new(program)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
    }

    fn build<S: AsRef<str>>(&self, linker_args: &[S]) -> Option<PathBuf> {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        let program = self.out.join("link-probe");
        let _ = std::fs::remove_file(&program);
        let mut rustc = Command::new(std::env::var_os("RUSTC").unwrap_or("rustc".into()));
        rustc
            .args(["--crate-type", "bin", "--crate-name", "link_probe"])
            .args(["--edition", "2021", "-C", "opt-level=0", "--target"])
            .arg(var("TARGET"))
            .arg("-o")
            .arg(&program)
            .arg(&self.source);
        let flags = var("CARGO_ENCODED_RUSTFLAGS");
        rustc.args(flags.split('\x1f').filter(|flag| !flag.is_empty()));
        let linker = var("RUSTC_LINKER");
        if !linker.is_empty() {
            rustc.arg(format!("-Clinker={linker}"));
        }
        for arg in linker_args {
            rustc.arg("-Clink-arg=-Xlinker");
            rustc.arg(format!("-Clink-arg={}", arg.as_ref()));
        }
        let built = rustc
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        built.then_some(program)
    }
}
