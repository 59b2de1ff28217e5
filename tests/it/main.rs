//! The integration suite: one test binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bounces;
mod browser;
mod check;
mod cli;
mod clicks;
mod diagnostics;
mod dkim;
mod dns;
mod docs;
mod doctor;
mod email;
mod faults;
mod harness;
mod init;
mod misbehaving;
mod preview;
mod profiles;
mod properties;
mod relay;
mod relays;
mod render;
mod safety;
mod send;
mod serve;
mod server;
mod signup;
mod sink;
mod site;
mod smtp;
mod subscribers;
