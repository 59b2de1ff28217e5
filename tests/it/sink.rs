//! Postfix's smtp-sink (Debian package postfix; scripts/test.sh installs it) on
//! 127.0.0.1, started per test with its own misbehaviour (-r soft refusals, -W
//! silences, -q disconnects), stopped on drop; each message it takes is dumped
//! to a file, counted and read back with a real MIME parser.

#![allow(dead_code)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running smtp-sink.
pub(crate) struct Sink {
    child: Child,
    pub port: u16,
    dumps: tempfile::TempDir,
}

impl Sink {
    /// smtp-sink with these options (besides the dump and the address).
    pub(crate) fn start(options: &[&str]) -> Sink {
        let dumps = tempfile::tempdir().unwrap();
        // As root, smtp-sink runs as an unprivileged user, who must write the dumps.
        std::fs::set_permissions(
            dumps.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .unwrap();
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut command = Command::new("smtp-sink");
        if rustix::process::geteuid().is_root() {
            command.args(["-u", "nobody"]);
        }
        let template = format!("{}/%H%M%S.", dumps.path().display());
        let child = command
            .args(["-d", &template])
            .args(options)
            .arg(format!("127.0.0.1:{port}"))
            .arg("64")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start smtp-sink ({e}): install postfix, or run scripts/test.sh")
            });
        crate::harness::watchdog(child.id(), Duration::from_secs(240));
        let sink = Sink { child, port, dumps };
        // Ready when it takes a connection.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "smtp-sink did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        sink
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                Sink::files(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// The recipients of every message it took (its X-Rcpt-Args lines).
    pub(crate) fn recipients(&self) -> Vec<String> {
        let mut files = Vec::new();
        Sink::files(self.dumps.path(), &mut files);
        files
            .iter()
            .flat_map(|file| {
                let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
                text.lines()
                    .filter_map(|l| l.strip_prefix("X-Rcpt-Args: "))
                    .map(|a| a.trim_matches(|c| c == '<' || c == '>').to_lowercase())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// How many messages it took.
    pub(crate) fn count(&self) -> usize {
        self.recipients().len()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
