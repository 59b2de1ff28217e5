//! A running `verdict serve` for the tests, and a small HTTP client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use verdict::store::tokens::Keys;

use crate::harness::TestProject;

/// The link secret the tests give the service.
pub(crate) const SECRET: &str = "serve-test-secret-0123456789";

/// A running `verdict serve`, stopped on drop; its output is collected.
pub(crate) struct Serve {
    pub child: Child,
    pub base: String,
    /// The line the service printed first: where it listens, the key in use.
    pub first: String,
    lines: Arc<Mutex<Vec<String>>>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    pub(crate) fn start(project: &TestProject) -> Serve {
        Serve::launch(project, Some(SECRET), &[])
    }

    /// With no secret given, the service uses the project's `state/secret`.
    pub(crate) fn launch(project: &TestProject, secret: Option<&str>, extra: &[&str]) -> Serve {
        Serve::launch_with(project, secret, extra, &[])
    }

    /// With environment variables set (failures injected through
    /// `VERDICT_FAULTS`, say).
    pub(crate) fn launch_with(
        project: &TestProject,
        secret: Option<&str>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Serve {
        let mut command = project.command();
        if let Some(secret) = secret {
            command.env("VERDICT_SECRET", secret);
        }
        command.envs(env.iter().copied());
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let errors = Arc::new(Mutex::new(Vec::new()));
        let collected = errors.clone();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                collected.lock().unwrap().push(line);
            }
        });
        crate::harness::watchdog(child.id(), Duration::from_secs(120));
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .trim_end_matches("/unsubscribe")
            .to_string();
        // Keep reading, so that the service never blocks on a full pipe.
        let lines = Arc::new(Mutex::new(Vec::new()));
        let collected = lines.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                collected.lock().unwrap().push(line);
            }
        });
        Serve {
            child,
            base,
            first: line,
            lines,
            errors,
        }
    }

    /// Stops the service as systemd does (SIGTERM) and waits for it to exit,
    /// which it must do cleanly.
    pub(crate) fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit after SIGTERM: {status:?}");
    }

    pub(crate) fn link(&self, email: &str) -> String {
        Keys::new(SECRET, &[])
            .unwrap()
            .unsubscribe_url(&format!("{}/unsubscribe", self.base), email)
    }

    /// Waits until the service has printed a line containing `text` on
    /// standard error, and returns every line it printed there.
    pub(crate) fn wait_for_error(&self, text: &str) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let errors = self.errors();
            if errors.iter().any(|l| l.contains(text)) {
                return errors;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no line with {text:?} on standard error: {errors:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the service printed on standard error, so far.
    pub(crate) fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }

    /// What the service printed after its first line, so far.
    pub(crate) fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until the service has logged (on standard error) `n` lines
    /// containing `text`, and returns them.
    pub(crate) fn wait_for(&self, text: &str, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let found: Vec<String> = self
                .errors()
                .into_iter()
                .filter(|l| l.contains(text))
                .collect();
            if found.len() >= n {
                return found;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the service printed {} of {n} lines with {text:?}: {:?}",
                found.len(),
                self.errors()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the service to print `n` lines after its first.
    pub(crate) fn wait_for_lines(&self, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let lines = self.output();
            if lines.len() >= n || std::time::Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends the project's due issues with the link secret the service is given.
pub(crate) fn send_with_secret(project: &TestProject) {
    let mut send = project.command();
    send.env("VERDICT_SECRET", SECRET).arg("send");
    assert!(send.status().unwrap().success());
}

/// A client that never follows a redirect: a counted link leads off this
/// machine, where the tests never go.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// A GET's status and the redirect it answers with, if any.
pub(crate) fn get_location(url: &str) -> (u16, Option<String>) {
    let response = agent().get(url).call().unwrap();
    (response.status().as_u16(), location(&response))
}

/// A HEAD's status and the redirect it answers with, if any.
pub(crate) fn head_location(url: &str) -> (u16, Option<String>) {
    let response = agent().head(url).call().unwrap();
    (response.status().as_u16(), location(&response))
}

fn location(response: &ureq::http::Response<ureq::Body>) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
}

pub(crate) fn post(url: &str, body: &str) -> (u16, String) {
    let mut response = agent()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .send(body)
        .unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

pub(crate) fn get(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// A POST with another content type.
pub(crate) fn post_as(url: &str, content_type: &str, body: &str) -> (u16, String) {
    let mut response = agent()
        .post(url)
        .header("content-type", content_type)
        .send(body)
        .unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// A connection to `address` from `source` (another loopback address, such
/// as 127.0.0.2: another client as far as the service can tell).
pub(crate) fn connect_from(source: &str, address: &str) -> std::net::TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let source: std::net::SocketAddr = format!("{source}:0").parse().unwrap();
    socket.bind(&source.into()).unwrap();
    let target: std::net::SocketAddr = address.parse().unwrap();
    socket.connect(&target.into()).unwrap();
    socket.into()
}

/// Sends one whole request on a fresh connection from `source`, reads the
/// answer to its end, and returns its status and body.
pub(crate) fn request_from(source: &str, base: &str, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = connect_from(source, base.trim_start_matches("http://"));
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}
