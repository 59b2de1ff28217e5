//! Link settings for release builds on Linux with glibc, both to keep less of the
//! binary resident (docs/BENCHMARKS.md). Each is first tried on an empty program
//! built as this crate will be (the same rustc, target, RUSTFLAGS and configured
//! linker), and used only where that works:
//!
//! - Relative relocations are packed (DT_RELR): the loader then reads a few
//!   kilobytes of them instead of a megabyte and a half. The binary then needs
//!   glibc 2.36 or later, so the try must also start on the building machine, and
//!   the binary does not start on a machine with an older glibc; when
//!   cross-compiling it is left out.
//! - The functions a send runs (`link/symbol-order.txt`) are laid out together
//!   (lld's `--symbol-ordering-file`, so the try fails with GNU ld). A name the
//!   build does not have is skipped without a word: a stale list costs memory,
//!   never a failed link.
//!
//! What the try cannot see: arguments given to `cargo rustc -- …` (such as another
//! linker) and a rustc wrapper. `VERDICT_PLAIN_LINK=1` leaves both settings out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=VERDICT_PLAIN_LINK");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    // Cargo sets RUSTC_LINKER for this script alone, so a change of the linker
    // is seen through the variable it comes from (or build.rs being rebuilt).
    let target_linker = format!(
        "CARGO_TARGET_{}_LINKER",
        var("TARGET").to_uppercase().replace(['-', '.'], "_")
    );
    println!("cargo:rerun-if-env-changed={target_linker}");
    if var("PROFILE") != "release"
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || !var("VERDICT_PLAIN_LINK").is_empty()
    {
        return;
    }
    let Some(probe) = Probe::new() else {
        return;
    };
    let relr = ["-z", "pack-relative-relocs"];
    if var("HOST") == var("TARGET") && probe.links_and_runs(&relr) {
        pass_to_linker(&relr);
    }
    let folder = Path::new(&var("CARGO_MANIFEST_DIR")).join("link");
    let order = folder.join("symbol-order.txt");
    if folder.is_dir() {
        // The folder, so that a list made after this build is seen.
        println!("cargo:rerun-if-changed={}", folder.display());
    }
    if !order.is_file() {
        return;
    }
    let ordering = [
        format!("--symbol-ordering-file={}", order.display()),
        "--no-warn-symbol-ordering".to_string(),
    ];
    if probe.links(&ordering) {
        pass_to_linker(&ordering);
    }
}

/// Passes `args` to the linker when the binary is linked, each on its own
/// (-Xlinker), so that no comma in a path can split one.
fn pass_to_linker<S: AsRef<str>>(args: &[S]) {
    for arg in args {
        println!("cargo:rustc-link-arg-bins=-Xlinker");
        println!("cargo:rustc-link-arg-bins={}", arg.as_ref());
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
            // In OUT_DIR, with any profile it writes (-Cinstrument-coverage, PGO).
            Command::new(program)
                .current_dir(&self.out)
                .env("LLVM_PROFILE_FILE", self.out.join("link-probe-%p.profraw"))
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
        // Before the flags, as Cargo passes it: a -Clinker in RUSTFLAGS wins.
        let linker = var("RUSTC_LINKER");
        if !linker.is_empty() {
            rustc.arg(format!("-Clinker={linker}"));
        }
        let flags = var("CARGO_ENCODED_RUSTFLAGS");
        rustc.args(flags.split('\x1f').filter(|flag| !flag.is_empty()));
        for arg in linker_args {
            rustc.arg("-Clink-arg=-Xlinker");
            rustc.arg(format!("-Clink-arg={}", arg.as_ref()));
        }
        let built = rustc
            .current_dir(&self.out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        built.then_some(program)
    }
}
