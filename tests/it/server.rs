//! A running `verdict serve` for the tests, and a small HTTP client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use verdict::store::tokens::Keys;

use crate::harness::TestProject;

/// The link secret the tests give the service.
pub const SECRET: &str = "serve-test-secret-0123456789";

/// A running `verdict serve`, stopped on drop; its output is collected.
pub struct Serve {
    pub child: Child,
    pub base: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    pub fn start(project: &TestProject) -> Serve {
        Serve::launch(project, Some(SECRET), &[])
    }

    /// With no secret given, the service uses the project's `state/secret`.
    pub fn launch(project: &TestProject, secret: Option<&str>, extra: &[&str]) -> Serve {
        let mut command = project.command();
        if let Some(secret) = secret {
            command.env("VERDICT_SECRET", secret);
        }
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
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
        Serve { child, base, lines }
    }

    pub fn link(&self, email: &str) -> String {
        Keys::new(SECRET, &[])
            .unwrap()
            .unsubscribe_url(&format!("{}/unsubscribe", self.base), email)
    }

    /// What the service printed after its first line, so far.
    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits for the service to print `n` lines after its first.
    pub fn wait_for_lines(&self, n: usize) -> Vec<String> {
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

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

pub fn post(url: &str, body: &str) -> (u16, String) {
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

pub fn get(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// A POST with another content type.
pub fn post_as(url: &str, content_type: &str, body: &str) -> (u16, String) {
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
