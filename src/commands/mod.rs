//! One module per command, each with its clap `Args` (whose doc comment is its
//! `--help`) and an `execute` function.

pub(crate) mod archive;
pub(crate) mod bounces;
pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod dkim;
pub(crate) mod doctor;
pub(crate) mod init;
pub(crate) mod new;
pub(crate) mod preview;
pub(crate) mod rotate_secret;
pub(crate) mod send;
pub(crate) mod serve;
pub(crate) mod status;
pub(crate) mod subscribers;
pub(crate) mod votes;
