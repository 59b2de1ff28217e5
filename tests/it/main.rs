//! The integration suite: one test binary, one module per area.

mod diagnostics;
mod harness;
mod preview;
mod render;
mod send;
mod smtp;
mod subscribers;
