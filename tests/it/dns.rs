//! The test DNS server: dnsmasq (Debian's dnsmasq-base, installed by
//! scripts/test.sh) on 127.0.0.1, answering only the zone a test writes and
//! NXDOMAIN for every other name; started per test, stopped on drop.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::watchdog;

/// The records a test publishes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Zone {
    lines: Vec<String>,
}

impl Zone {
    pub(crate) fn new() -> Self {
        Zone::default()
    }

    /// A TXT record; a value over 255 bytes is cut into strings as DNS
    /// providers do.
    pub(crate) fn txt(mut self, name: &str, value: &str) -> Self {
        let strings: Vec<String> = value
            .as_bytes()
            .chunks(255)
            .map(|chunk| format!("\"{}\"", String::from_utf8_lossy(chunk)))
            .collect();
        self.lines
            .push(format!("txt-record={name},{}", strings.join(",")));
        self
    }

    /// An MX record.
    pub(crate) fn mx(mut self, domain: &str, exchange: &str, preference: u16) -> Self {
        self.lines
            .push(format!("mx-host={domain},{exchange},{preference}"));
        self
    }

    /// An A record and the PTR record pointing back.
    pub(crate) fn host(mut self, name: &str, address: &str) -> Self {
        self.lines.push(format!("host-record={name},{address}"));
        self
    }

    /// Removes every record at `name`.
    pub(crate) fn without(mut self, name: &str) -> Self {
        self.lines.retain(|line| {
            line.split_once('=').map(|(_, r)| r.split(',').next()) != Some(Some(name))
        });
        self
    }
}

/// A running dnsmasq.
pub(crate) struct DnsServer {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl DnsServer {
    pub(crate) fn start(zone: &Zone) -> Self {
        for _ in 0..5 {
            if let Some(server) = Self::try_start(zone) {
                return server;
            }
        }
        panic!("dnsmasq did not start (is it installed? run scripts/test.sh)");
    }

    /// Starts on a port free a moment ago; `None` if another process took it.
    fn try_start(zone: &Zone) -> Option<Self> {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("zone.conf");
        let mut text = format!(
            "port={port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nno-poll\n\
             # Every name outside the zone is answered NXDOMAIN here: nothing is forwarded.\n\
             local=/#/\n"
        );
        for line in &zone.lines {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&config, text).unwrap();
        let mut command = Command::new(dnsmasq());
        command
            .arg("--keep-in-foreground")
            .arg(format!("--conf-file={}", config.display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .arg("--log-facility=-")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if rustix::process::geteuid().is_root() {
            // As root dnsmasq would switch to a user the machine may not have.
            command.arg("--user=root");
        }
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!("cannot start dnsmasq: {e}; run the tests with scripts/test.sh")
        });
        watchdog(child.id(), Duration::from_secs(240));
        // dnsmasq says "started" once its sockets are bound; a failure to bind
        // ends it instead.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.wait();
                return None;
            }
            if line.contains("started, version") {
                break;
            }
        }
        // Keep reading its log so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while stderr.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        Some(DnsServer {
            child,
            port,
            _dir: dir,
        })
    }

    /// `--resolver` for verdict.
    pub(crate) fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// dnsmasq lives in /usr/sbin, which a user's PATH may leave out.
fn dnsmasq() -> String {
    for dir in ["/usr/sbin", "/sbin", "/usr/local/sbin"] {
        let path = format!("{dir}/dnsmasq");
        if std::path::Path::new(&path).exists() {
            return path;
        }
    }
    "dnsmasq".into()
}
