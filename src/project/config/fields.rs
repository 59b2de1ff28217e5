//! The keys of `verdict.toml`, as the reader, README's reference and the JSON
//! Schema know them.

use super::bounds::{MAX_CONCURRENCY, MAX_RATE};
use crate::project::fields::{Field, Kind, Need, Table};

/// What an absent table means when each of its keys has a default.
const EVERY_DEFAULT: &str = "every key at its default";

/// The top level of `verdict.toml`.
pub static ROOT: Table = Table {
    name: "verdict.toml",
    doc: "The newsletter's configuration: who sends it, from where, and how.",
    fields: &[
        Field::required(
            "name",
            Kind::FilledLine,
            "\"Weekly AI Tool Verdicts\"",
            "the newsletter's name: in the header, as the From name and in List-Id",
        ),
        Field::required(
            "from",
            Kind::Address,
            "\"Weekly AI Tool Verdicts <verdicts@example.com>\"",
            "the sender; mail from its domain should be DKIM-signed",
        ),
        Field::optional(
            "reply_to",
            Kind::Address,
            "\"editors@example.com\"",
            "where replies go, if not to `from`",
        ),
        Field::required(
            "postal_address",
            Kind::FilledLine,
            "\"Weekly AI Tool Verdicts, 1 Example Plaza, Example City 00000\"",
            "the sender's postal address, printed in every footer (the law, CAN-SPAM, wants one)",
        ),
        Field::optional(
            "base_url",
            Kind::SiteUrl,
            "\"https://verdicts.example.com\"",
            "the public site `verdict archive` builds: \"Read on the web\" links go to BASE_URL/issues/ISSUE.html; sign-ups and votes need it",
        ),
        Field::required(
            "unsubscribe_url",
            Kind::SiteUrl,
            "\"https://verdicts.example.com/unsubscribe\"",
            "where `verdict serve` answers one-click unsubscribes, behind your HTTPS proxy",
        ),
        Field::otherwise(
            "unsubscribe_mailto",
            Kind::Address,
            "the From address",
            "\"unsubscribe@example.com\"",
            "the address that receives unsubscribe requests by mail (List-Unsubscribe's mailto)",
        ),
        Field::otherwise(
            "bounce_address",
            Kind::Address,
            "the From address",
            "\"bounces+@example.com\"",
            "the envelope sender, where bounces go; a `+` in its local part gives each reader's copy a signed return path (bounces+TAG@…) that proves whom a bounce is about",
        ),
        Field::defaulted(
            "language",
            Kind::Language,
            "\"en\"",
            "\"en\"",
            "the language of the email and the site (HTML `lang`)",
        ),
        Field::defaulted(
            "transport",
            Kind::Transport,
            "\"outbox:outbox\"",
            "\"smtps://newsletter@smtp.example.com:465\"",
            "where mail goes: outbox:DIR writes .eml files, an SMTP URL delivers; VERDICT_TRANSPORT and --transport override it; never with a password",
        ),
        Field::optional(
            "smtp_password_file",
            Kind::Path,
            "\"/etc/verdict/smtp-password\"",
            "a file holding the SMTP password (else VERDICT_SMTP_PASSWORD)",
        ),
        Field::defaulted(
            "time_zone",
            Kind::TimeZone,
            "\"UTC\"",
            "\"Europe/Berlin\"",
            "the newsletter's time zone: relays' daily caps count its calendar days",
        ),
        Field::table("sending", &SENDING, Need::Otherwise(EVERY_DEFAULT)),
        Field::tables("dkim", &DKIM, 0, None),
        Field::table("community", &COMMUNITY, Need::Otherwise(EVERY_DEFAULT)),
        Field::table("signup", &SIGNUP, Need::Otherwise(EVERY_DEFAULT)),
        Field::table("serve", &SERVE, Need::Otherwise(EVERY_DEFAULT)),
        Field::tables("relay", &RELAY, 0, None),
    ],
};

/// `[sending]`.
pub static SENDING: Table = Table {
    name: "[sending]",
    doc: "pacing, retries and deadlines of `verdict send`",
    fields: &[
        Field::defaulted(
            "concurrency",
            Kind::Integer {
                min: 1,
                max: MAX_CONCURRENCY as u64,
            },
            "4",
            "8",
            "SMTP connections in use at once",
        ),
        Field::defaulted(
            "rate",
            Kind::Number {
                min: 0.0,
                max: MAX_RATE,
            },
            "0",
            "20",
            "messages per second; 0 sends as fast as the relay takes them (else at least 0.01)",
        ),
        Field::defaulted(
            "max_attempts",
            Kind::Integer { min: 1, max: 20 },
            "4",
            "4",
            "attempts per recipient and run for transient failures (4xx, dropped connections)",
        ),
        Field::defaulted(
            "retry_delay_ms",
            Kind::Integer {
                min: 1,
                max: 600_000,
            },
            "1000",
            "1000",
            "the first retry's wait in milliseconds; each further one twice as long, with jitter",
        ),
        Field::defaulted(
            "timeout_secs",
            Kind::Integer { min: 1, max: 600 },
            "30",
            "30",
            "seconds to wait for the relay's answer to one SMTP command",
        ),
        Field::defaulted(
            "connect_timeout_secs",
            Kind::Integer { min: 1, max: 120 },
            "10",
            "10",
            "seconds opening a connection may take: TCP, TLS, greeting, login",
        ),
        Field::defaulted(
            "give_up_after_hours",
            Kind::Integer { min: 1, max: 8760 },
            "72",
            "72",
            "hours after which a deferred or held reader is given up on (expired)",
        ),
        Field::defaulted(
            "judge_window",
            Kind::Integer {
                min: 10,
                max: 100_000,
            },
            "50",
            "50",
            "the recent attempts each relay is judged on",
        ),
        Field::defaulted(
            "refusal_percent",
            Kind::Integer { min: 1, max: 100 },
            "10",
            "10",
            "past this share (percent) of hard refusals among its recent attempts a relay is refusing the newsletter: its refusals are held, not suppressed, and it is left out for the run",
        ),
        Field::defaulted(
            "stall_secs",
            Kind::Integer {
                min: 1,
                max: 86_400,
            },
            "300",
            "300",
            "seconds without any reader settled after which a run stops (exit 5)",
        ),
        Field::defaulted(
            "uncertain_retries",
            Kind::Integer { min: 0, max: 5 },
            "1",
            "1",
            "retries of a message whose connection was lost after its final dot, before it counts as possibly delivered",
        ),
    ],
};

/// `[[dkim]]`.
pub static DKIM: Table = Table {
    name: "[[dkim]]",
    doc: "one DKIM signing key each (RSA and Ed25519 together sign twice), once its record is in DNS; `verdict dkim keygen` makes one; a single [dkim] table of earlier versions still reads",
    fields: &[
        Field::required(
            "domain",
            Kind::Domain,
            "\"example.com\"",
            "the signing domain (d=); should be the From domain",
        ),
        Field::required(
            "selector",
            Kind::Id,
            "\"verdict\"",
            "the selector (s=): the key is published at SELECTOR._domainkey.DOMAIN",
        ),
        Field::required(
            "key_file",
            Kind::Path,
            "\"state/dkim/s2026._domainkey.example.com.pem\"",
            "the private key: PEM (PKCS#8 or PKCS#1), or the base64 of a 32-byte Ed25519 seed",
        ),
        Field::otherwise(
            "algorithm",
            Kind::Choice {
                options: &["rsa", "ed25519"],
                any_case: false,
            },
            "what the key file holds",
            "\"ed25519\"",
            "the signing algorithm",
        ),
    ],
};

/// `[community]`.
pub static COMMUNITY: Table = Table {
    name: "[community]",
    doc: "what readers did: their vote on each tool, and the links they followed",
    fields: &[
        Field::defaulted(
            "min_votes",
            Kind::Integer {
                min: 1,
                max: 100_000,
            },
            "10",
            "10",
            "votes on a tool before its community percentage shows (else \"—\")",
        ),
        Field::defaulted(
            "vote_link_days",
            Kind::Integer { min: 1, max: 3650 },
            "30",
            "30",
            "days after an issue's send time that its vote links work (then they answer 410)",
        ),
        Field::defaulted(
            "count_clicks",
            Kind::Boolean,
            "true",
            "false",
            "send the links to tools (in emails and on issue pages) through `verdict serve`'s /go, which counts them per issue and tool, never per reader, and redirects to the tool; needs base_url",
        ),
    ],
};

/// `[serve]`.
pub static SERVE: Table = Table {
    name: "[serve]",
    doc: "how `verdict serve` meets the network",
    fields: &[Field::optional(
        "trusted_proxies",
        Kind::Networks,
        "[\"127.0.0.1\", \"::1\"]",
        "the reverse proxies in front of the service: only from them is X-Forwarded-For believed (else every reader behind the proxy is one client)",
    )],
};

/// `[signup]`.
pub static SIGNUP: Table = Table {
    name: "[signup]",
    doc: "sign-ups through `verdict serve` (double opt-in) and their limits",
    fields: &[
        Field::defaulted(
            "link_valid_days",
            Kind::Integer { min: 1, max: 60 },
            "7",
            "7",
            "days a confirmation link works",
        ),
        Field::defaulted(
            "resend_after_minutes",
            Kind::Integer {
                min: 1,
                max: 10_080,
            },
            "60",
            "60",
            "minutes before an address may get another confirmation email",
        ),
        Field::defaulted(
            "per_client_per_hour",
            Kind::Integer {
                min: 1,
                max: 10_000,
            },
            "5",
            "5",
            "sign-up requests one client may make in an hour",
        ),
        Field::defaulted(
            "per_hour",
            Kind::Integer {
                min: 1,
                max: 1_000_000,
            },
            "200",
            "200",
            "confirmation emails sent in an hour, all clients together",
        ),
        Field::defaulted(
            "per_domain_per_hour",
            Kind::Integer {
                min: 1,
                max: 1_000_000,
            },
            "50",
            "50",
            "confirmation emails to one mailbox domain in an hour",
        ),
    ],
};

/// `[[relay]]`.
pub static RELAY: Table = Table {
    name: "[[relay]]",
    doc: "relays that share the sending instead of `transport`: by weight, each within its daily cap",
    fields: &[
        Field::otherwise(
            "name",
            Kind::Line,
            "its transport",
            "\"primary\"",
            "how `status` and summaries name it",
        ),
        Field::required(
            "transport",
            Kind::Transport,
            "\"smtps://newsletter@smtp.example.com:465\"",
            "where this relay takes mail",
        ),
        Field::otherwise(
            "rate",
            Kind::Number {
                min: 0.0,
                max: MAX_RATE,
            },
            "[sending] rate",
            "10",
            "messages per second through it; 0 for unpaced",
        ),
        Field::otherwise(
            "concurrency",
            Kind::Integer {
                min: 1,
                max: MAX_CONCURRENCY as u64,
            },
            "[sending] concurrency",
            "2",
            "its connections at once",
        ),
        Field::optional(
            "daily_cap",
            Kind::Integer {
                min: 1,
                max: u64::MAX,
            },
            "50000",
            "messages it may take per calendar day (in time_zone); no cap when absent",
        ),
        Field::defaulted(
            "weight",
            Kind::Integer { min: 1, max: 1000 },
            "1",
            "3",
            "its share of the audience, relative to the other relays'",
        ),
        Field::otherwise(
            "password_file",
            Kind::Path,
            "VERDICT_SMTP_PASSWORD or smtp_password_file",
            "\"/etc/verdict/primary-password\"",
            "a file with its SMTP password",
        ),
    ],
};
