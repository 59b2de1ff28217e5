//! The integration suite: one test binary, one module per area.

mod diagnostics;
mod dkim;
mod harness;
mod preview;
mod render;
mod safety;
mod send;
mod serve;
mod smtp;
mod subscribers;
