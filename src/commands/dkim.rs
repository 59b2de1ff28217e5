//! `verdict dkim keygen` makes a signing key under `state/` and prints what to
//! publish and configure; `verdict dkim show` prints the DNS records of the
//! keys `verdict.toml` names.

use crate::error::{Error, Result};
use crate::project::config::{Config, DkimAlgorithm};
use crate::project::layout::Layout;
use crate::send::message::dkim::{self, KeyRecord, PrivateKey};

/// Make DKIM signing keys and print the DNS records that publish them.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Keygen(KeygenArgs),
    Show(ShowArgs),
}

/// Make a new signing key under state/dkim/ (readable by you alone), and print
/// the TXT record to publish and the [[dkim]] table to add to verdict.toml.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// The selector: the key is published at SELECTOR._domainkey.DOMAIN. Use a
    /// new one for each key, such as the year (s2026), so that keys can be
    /// changed without a gap.
    #[arg(long)]
    pub selector: String,
    /// rsa (2048 bits; every receiver verifies it) or ed25519 (RFC 8463; small
    /// and fast, best beside an RSA key).
    #[arg(long, value_enum, default_value_t = DkimAlgorithm::Rsa)]
    pub algorithm: DkimAlgorithm,
    /// The signing domain (default: the From domain, which DMARC aligns with).
    #[arg(long)]
    pub domain: Option<String>,
}

/// Print the DNS TXT record of each key configured in verdict.toml.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {}

pub(crate) fn execute(layout: &Layout, args: Args) -> Result<()> {
    match args.command {
        Command::Keygen(args) => keygen(layout, args),
        Command::Show(_) => show(layout),
    }
}

fn keygen(layout: &Layout, args: KeygenArgs) -> Result<()> {
    let config = Config::load(layout)?;
    let selector = args.selector.trim().to_ascii_lowercase();
    let domain = args
        .domain
        .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_else(|| config.sender_domain());
    if !dkim::is_dns_name(&selector) {
        return Err(Error::usage(format!(
            "`{selector}` is not a DKIM selector: use letters, digits and `-`, such as s2026"
        )));
    }
    if !dkim::is_dns_name(&domain) {
        return Err(Error::usage(format!(
            "`{domain}` is not a domain name such as example.com"
        )));
    }
    if let Some(taken) = config
        .dkim
        .iter()
        .find(|k| k.selector.value == selector && k.domain.value == domain)
    {
        return Err(Error::usage(format!(
            "verdict.toml already has a key for selector {selector} at {domain} ({}): a new key needs a new selector, so that mail signed with the old one still verifies while DNS changes",
            taken.key_file.value.display()
        )));
    }
    let key =
        PrivateKey::generate(args.algorithm).map_err(|e| Error::failed(format!("the key {e}")))?;
    let pem = key
        .to_pem()
        .map_err(|e| Error::failed(format!("the key {e}")))?;
    let record = KeyRecord::new(&domain, &selector, &key)
        .map_err(|e| Error::failed(format!("the key {e}")))?;
    let path = layout.dkim_key(&selector, &domain);
    let shown = layout.display(&path);
    if path.exists() {
        return Err(Error::usage(format!(
            "{shown} exists already: it is the key made before for selector {selector} at {domain}. Configure it with a [[dkim]] table, or make a key with a new selector"
        )));
    }
    crate::store::fs::create_private(&path, pem.as_bytes())?;
    crate::say!(
        "Made a DKIM key ({}, {} bits) in {shown}, readable by you alone. Keep it with state/ and back it up.",
        key.algorithm().name(),
        key.bits()
    );
    crate::say!("");
    crate::say!("1. Publish this TXT record in the DNS of {domain}:");
    crate::say!("");
    print_record(&record, "   ");
    crate::say!("");
    crate::say!("2. Add this table to verdict.toml:");
    crate::say!("");
    crate::say!("[[dkim]]");
    crate::say!("domain = \"{domain}\"");
    crate::say!("selector = \"{selector}\"");
    crate::say!("key_file = \"{shown}\"");
    crate::say!("algorithm = \"{}\"", key.algorithm().name());
    if has_single_table(&config) {
        crate::say!("");
        crate::say!(
            "verdict.toml has a [dkim] table: write its header as [[dkim]] too, so that both keys sign."
        );
    }
    crate::say!("");
    crate::say!(
        "3. Once the record is visible in DNS, every message is signed with this key as well as any others configured; `verdict dkim show` prints the records again."
    );
    Ok(())
}

fn show(layout: &Layout) -> Result<()> {
    let config = Config::load(layout)?;
    if config.dkim.is_empty() {
        return Err(Error::usage(
            "verdict.toml has no [[dkim]] key; make one with `verdict dkim keygen --selector NAME`",
        ));
    }
    let mut problems = config.source.clone();
    let mut first = true;
    for settings in &config.dkim {
        let key = match dkim::load_key(settings, layout) {
            Ok(key) => key,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let record = KeyRecord::new(&settings.domain.value, &settings.selector.value, &key)
            .map_err(|e| Error::failed(format!("the key {e}")))?;
        if !first {
            crate::say!("");
        }
        first = false;
        crate::say!(
            "{} ({}, {} bits, {})",
            record.name,
            key.algorithm().name(),
            key.bits(),
            settings.key_file.value.display()
        );
        print_record(&record, "  ");
    }
    if problems.error_count() > 0 {
        return Err(Error::invalid(problems));
    }
    Ok(())
}

/// A record as a DNS provider's form asks for it, and as a zone file line.
fn print_record(record: &KeyRecord, indent: &str) {
    crate::say!("{indent}name:  {}", record.name);
    crate::say!("{indent}type:  TXT");
    crate::say!("{indent}value: {}", record.quoted());
    crate::say!("{indent}zone file: {}", record.zone_line());
}

/// Whether verdict.toml writes its key as one `[dkim]` table, which a pasted
/// `[[dkim]]` table cannot join.
fn has_single_table(config: &Config) -> bool {
    config
        .source
        .source
        .lines()
        .any(|line| line.split('#').next().unwrap_or_default().trim() == "[dkim]")
}
