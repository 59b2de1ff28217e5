//! The test SMTP server: aiosmtpd (tests/smtp_server.py) on 127.0.0.1, started per
//! test, stopped on drop; what it accepted is read back with a real MIME parser.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mail_parser::{Message, MessageParser};

use crate::harness::repo_root;

/// A running server.
pub(crate) struct SmtpServer {
    child: Child,
    pub port: u16,
    spool: tempfile::TempDir,
}

/// One accepted message with its envelope.
pub(crate) struct Received {
    /// The envelope sender (MAIL FROM).
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub raw: Vec<u8>,
}

impl Received {
    pub(crate) fn parse(&self) -> Message<'_> {
        MessageParser::default()
            .parse(&self.raw)
            .expect("a MIME message")
    }

    pub(crate) fn to(&self) -> &str {
        &self.rcpt_tos[0]
    }
}

/// The Python with aiosmtpd: scripts/test.sh sets VERDICT_TEST_PYTHON to its venv.
pub(crate) fn python() -> String {
    std::env::var("VERDICT_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// What faults to inject: (address, stage, reply, times).
pub(crate) type Fault<'a> = (&'a str, &'a str, &'a str, Option<u32>);

impl SmtpServer {
    pub(crate) fn start() -> Self {
        Self::start_with(&[], None)
    }

    pub(crate) fn with_faults(faults: &[Fault<'_>]) -> Self {
        Self::start_with(faults, None)
    }

    /// A server that announces PIPELINING, so that verdict pipelines the envelope.
    pub(crate) fn pipelining_with_faults(faults: &[Fault<'_>]) -> Self {
        Self::launch(faults, None, true, false)
    }

    pub(crate) fn start_with(faults: &[Fault<'_>], auth: Option<&str>) -> Self {
        Self::launch(faults, auth, false, false)
    }

    /// A server that requires STARTTLS, with a self-signed certificate.
    pub(crate) fn with_self_signed_tls() -> Self {
        Self::launch(&[], None, false, true)
    }

    /// A server started with these faults and extra options of tests/smtp_server.py.
    pub(crate) fn with_options(faults: &[Fault<'_>], extra: &[&str]) -> Self {
        Self::launch_with(faults, extra)
    }

    /// A relay that answers every connection with `greeting` and hangs up.
    pub(crate) fn greeting_with(greeting: &str) -> Self {
        Self::launch_with(&[], &["--greeting", greeting])
    }

    /// A relay that offers SMTPUTF8 (RFC 6531).
    pub(crate) fn with_smtputf8() -> Self {
        Self::launch_with(&[], &["--smtputf8"])
    }

    fn launch(faults: &[Fault<'_>], auth: Option<&str>, pipelining: bool, tls: bool) -> Self {
        let mut extra: Vec<String> = Vec::new();
        if let Some(auth) = auth {
            extra.extend(["--auth".to_string(), auth.to_string()]);
        }
        if pipelining {
            extra.push("--pipelining".into());
        }
        if tls {
            let fixtures = repo_root().join("tests/fixtures/tls");
            extra.push("--tls-cert".into());
            extra.push(fixtures.join("cert.pem").display().to_string());
            extra.push("--tls-key".into());
            extra.push(fixtures.join("key.pem").display().to_string());
        }
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        Self::launch_with(faults, &extra)
    }

    fn launch_with(faults: &[Fault<'_>], extra: &[&str]) -> Self {
        let rules: Vec<serde_json::Value> = faults
            .iter()
            .map(|(address, stage, reply, times)| {
                serde_json::json!({"address": address, "stage": stage, "reply": reply, "times": times})
            })
            .collect();
        Self::with_rules(&rules, extra)
    }

    /// A server with fault rules as tests/smtp_server.py reads them (to use
    /// keys the tuple form lacks, such as "encoding"), and extra options.
    pub(crate) fn with_rules(rules: &[serde_json::Value], extra: &[&str]) -> Self {
        let spool = tempfile::tempdir().unwrap();
        let faults_file = spool.path().join("faults.json");
        std::fs::write(&faults_file, serde_json::to_vec(&rules).unwrap()).unwrap();
        let mut command = Command::new(python());
        command
            .arg(repo_root().join("tests/smtp_server.py"))
            .arg("--spool")
            .arg(spool.path())
            .arg("--faults")
            .arg(&faults_file)
            .args(["--max-seconds", "240"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!("cannot start the test SMTP server with {}: {e}; run the tests with scripts/test.sh", python())
        });
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let port = first_line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!(
                "the test SMTP server did not start (is aiosmtpd installed? run scripts/test.sh)"
            )
        });
        SmtpServer { child, port, spool }
    }

    /// The transport URL for verdict.
    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn spool_files(&self, extension: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.spool.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == extension))
            .collect();
        files.sort();
        files
    }

    /// How many messages were accepted so far.
    pub(crate) fn count(&self) -> usize {
        self.spool_files("eml").len()
    }

    /// Every accepted message, in order.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.spool_files("eml")
            .into_iter()
            .map(|eml| {
                let envelope: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(eml.with_extension("json")).unwrap())
                        .unwrap();
                Received {
                    mail_from: envelope["mail_from"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    rcpt_tos: envelope["rcpt_tos"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_lowercase())
                        .collect(),
                    raw: std::fs::read(&eml).unwrap(),
                }
            })
            .collect()
    }

    /// How many faults were injected so far, for any address.
    pub(crate) fn faults(&self) -> usize {
        std::fs::read_to_string(self.spool.path().join("faults.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// Waits until at least `n` faults were injected.
    pub(crate) fn wait_for_faults(&self, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.faults() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} faults happened",
                self.faults()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// How many faults were injected for an address.
    pub(crate) fn faults_for(&self, address: &str) -> usize {
        std::fs::read_to_string(self.spool.path().join("faults.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&format!("\"{address}\"")))
            .count()
    }

    /// Waits until at least `n` messages were accepted.
    pub(crate) fn wait_for(&self, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.count() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} messages arrived",
                self.count()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
