//! Emails to one reader outside an issue, made from Markdown texts in
//! `templates/emails.toml`: the sign-up confirmation and the welcome.

use lettre::message::{Mailbox, MultiPart, SinglePart};
use maud::{DOCTYPE, PreEscaped, html};

use super::skeleton::raw_header;
use super::{ComposeError, Outgoing};
use crate::author::markdown::{HtmlStyle, Markdown};
use crate::project::config::Config;
use crate::project::templates::Theme;
use crate::store::tokens::hex;

/// What a one-off email says, and to whom.
pub struct OneOff<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    /// Markdown, its placeholders filled.
    pub text: &'a str,
    /// The reader's one-click unsubscribe link, for a subscriber.
    pub unsubscribe: Option<&'a str>,
}

/// Builds a one-off email: text and HTML from the same Markdown, the postal
/// address in the footer, and List-Unsubscribe for a subscriber.
pub fn one_off(
    config: &Config,
    theme: &Theme,
    email: &OneOff<'_>,
) -> Result<Outgoing, ComposeError> {
    let c = &theme.colors;
    let markdown = Markdown(email.text.to_string());
    let mut text = markdown.to_text(crate::author::render::TEXT_WIDTH, "");
    text.push_str("\n\n-- \n");
    if let Some(url) = email.unsubscribe {
        text.push_str(&format!("Unsubscribe: {url}\n"));
    }
    text.push_str(&config.postal_address);
    text.push('\n');
    let style = HtmlStyle {
        paragraph: "margin:0 0 14px 0;font-size:16px;line-height:1.6;".into(),
        link: format!("color:{};", c.accent),
        code: String::new(),
        quote: String::new(),
        web: false,
    };
    let body = html! {
        (DOCTYPE)
        html lang=(config.language) {
            head { meta charset="utf-8"; title { (email.subject) } }
            body style=(format!("margin:0;padding:24px 12px;background-color:{};color:{};font-family:{};", c.background, c.text, theme.font_family)) {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;margin:0 auto;" {
                    tr { td style=(format!("background-color:{};border:1px solid {};border-radius:8px;padding:24px;", c.surface, c.border)) {
                        p style="margin:0 0 16px 0;font-size:18px;font-weight:700;" { (config.name) }
                        (PreEscaped(markdown.to_html(&style)))
                    } }
                    tr { td style=(format!("padding:16px 8px;font-size:12px;line-height:1.6;color:{};", c.muted)) {
                        @if let Some(url) = email.unsubscribe {
                            p style="margin:0 0 8px 0;" { a href=(url) style=(format!("color:{};", c.muted)) { "Unsubscribe" } }
                        }
                        p style="margin:0;" { (config.postal_address) }
                    } }
                }
            }
        }
    };
    let to: lettre::Address = email
        .to
        .parse()
        .map_err(|e: lettre::address::AddressError| ComposeError::Address {
            email: email.to.to_string(),
            reason: e.to_string(),
        })?;
    let message_id = format!(
        "{}@{}",
        hex(&rand::random::<[u8; 12]>()),
        config.sender_domain()
    );
    let mut builder = lettre::Message::builder()
        .from(config.sender())
        .to(Mailbox::new(None, to))
        .subject(email.subject)
        .message_id(Some(format!("<{message_id}>")))
        .date_now();
    if let Some(reply_to) = &config.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    if let Some(url) = email.unsubscribe {
        builder = builder
            .raw_header(raw_header("List-Unsubscribe", format!("<{url}>")))
            .raw_header(raw_header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let message = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text))
                .singlepart(SinglePart::html(body.into_string())),
        )
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok(Outgoing {
        message_id,
        envelope: message.envelope().clone(),
        bytes: message.formatted(),
    })
}
