//! The integration suite: one test binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bounces;
mod browser;
mod cli;
mod diagnostics;
mod dkim;
mod dns;
mod doctor;
mod email;
mod harness;
mod preview;
mod relay;
mod relays;
mod render;
mod safety;
mod send;
mod serve;
mod server;
mod signup;
mod site;
mod smtp;
mod subscribers;
