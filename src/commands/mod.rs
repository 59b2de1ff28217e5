//! One module per command, each with its clap `Args` (whose doc comment is its
//! `--help`) and an `execute` function.

pub mod archive;
pub mod bounces;
pub mod check;
pub mod completions;
pub mod dkim;
pub mod doctor;
pub mod init;
pub mod new;
pub mod preview;
pub mod rotate_secret;
pub mod send;
pub mod serve;
pub mod status;
pub mod subscribers;
pub mod votes;
