//! Markdown from issue files, rendered to email-safe HTML (inline styles, raw HTML
//! escaped, only web and mail links) and to wrapped plain text.

use std::fmt::Write as _;

use maud::Escaper;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Markdown text written by an editor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Markdown(pub String);

/// How Markdown becomes HTML: inline styles for email clients, or plain
/// semantic elements for the web page (styled by its stylesheet).
#[derive(Debug, Clone, Default)]
pub struct HtmlStyle {
    pub paragraph: String,
    pub link: String,
    pub code: String,
    pub quote: String,
    /// Web page: no inline styles, real headings (`h3`, `h4`) under the page's own.
    pub web: bool,
}

impl HtmlStyle {
    /// For the web page.
    pub fn web() -> HtmlStyle {
        HtmlStyle {
            web: true,
            ..HtmlStyle::default()
        }
    }

    /// ` style="…"` for email, nothing for the web.
    fn attr(&self, css: &str) -> String {
        if self.web || css.is_empty() {
            String::new()
        } else {
            format!(" style=\"{css}\"")
        }
    }
}

/// An image found in Markdown, for lints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub url: String,
    pub alt: String,
}

fn parser(source: &str) -> Parser<'_> {
    Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH)
}

/// Whether an image source is on the web (http or https), the only kind shown.
pub fn web_image(url: &str) -> bool {
    url::Url::parse(url.trim())
        .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
}

/// Only these link schemes survive; anything else (`javascript:`) becomes plain text.
fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// A link that would not reach readers as the editor meant it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkProblem {
    /// The text as written that shows the problem, to find it in the file.
    pub needle: String,
    pub message: String,
    pub label: String,
    pub help: String,
}

/// The link problems of a Markdown field as located errors; `span` is the
/// field's string in `source`.
pub(crate) fn link_diagnostics(
    text: &Markdown,
    span: std::ops::Range<usize>,
    source: &str,
    placeholders: &[&str],
) -> Vec<crate::diagnostic::Diagnostic> {
    text.link_problems(placeholders)
        .into_iter()
        .map(|problem| {
            crate::diagnostic::Diagnostic::error(problem.message)
                .at(crate::diagnostic::narrow(
                    source,
                    span.clone(),
                    &problem.needle,
                ))
                .label(problem.label)
                .help(problem.help)
        })
        .collect()
}

/// Schemes whose links run or embed something instead of leading somewhere.
const HOSTILE_SCHEMES: &[&str] = &["javascript", "data", "vbscript", "file"];

/// Why a link's destination is not one an email can carry, if it is not.
fn destination_problem(url: &str, placeholders: &[&str]) -> Option<LinkProblem> {
    let url = url.trim();
    if let Some(name) = url.strip_prefix('{').and_then(|u| u.strip_suffix('}'))
        && placeholders.contains(&name)
    {
        return None;
    }
    let problem = |message: String, label: &str, help: String| LinkProblem {
        needle: url.to_string(),
        message,
        label: label.to_string(),
        help,
    };
    let scheme = url
        .split_once(':')
        .map(|(scheme, _)| scheme)
        .filter(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
        .map(str::to_ascii_lowercase);
    match scheme.as_deref() {
        Some("https" | "http") => {
            let ok = url::Url::parse(url).is_ok_and(|u| u.host().is_some());
            (!ok).then(|| {
                problem(
                    format!("the link `{url}` is not a web address"),
                    "not a valid address",
                    "write the whole address, e.g. https://example.com/page".into(),
                )
            })
        }
        Some("mailto") => None,
        Some(scheme) if HOSTILE_SCHEMES.contains(&scheme) => Some(problem(
            format!("a `{scheme}:` link is never shown"),
            "links may lead only to web pages or email addresses",
            "link an https:// page or a mailto: address; the email drops any other link".into(),
        )),
        Some(scheme) => Some(problem(
            format!("a `{scheme}:` link does not work in email"),
            "only https, http and mailto links are kept",
            "link an https:// page or a mailto: address".into(),
        )),
        None => {
            let looks_like_host = url
                .split(['/', '?', '#'])
                .next()
                .is_some_and(|host| host.contains('.') && !host.starts_with('.'));
            let help = if looks_like_host {
                format!("write the whole address: https://{url}")
            } else {
                "an email has no page to be relative to: write the whole address, https://…".into()
            };
            Some(problem(
                format!("the link `{url}` has no scheme"),
                "readers would get no link",
                help,
            ))
        }
    }
}

/// Why text that reads as an attempted link is not one: unbalanced brackets or
/// parentheses, or a space where none may be. `text` is one block's text with
/// its real links and code left out.
fn broken_links(text: &str) -> Vec<LinkProblem> {
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
    let problem = |start: usize, message: &str, help: &str| LinkProblem {
        needle: text[start..line_end(start)].chars().take(60).collect(),
        message: message.to_string(),
        label: "readers would see the brackets, not a link".to_string(),
        help: help.to_string(),
    };
    let mut problems: Vec<(usize, LinkProblem)> = Vec::new();
    for (at, _) in text.match_indices("](") {
        let opening = text[..at]
            .rfind('[')
            .filter(|&open| !text[open..at].contains(']'));
        // A destination ends on its line.
        let rest = &text[at + 2..line_end(at)];
        let found = match (opening, rest.find(')')) {
            (_, None) => problem(
                opening.unwrap_or(at),
                "this link is not closed: its `)` is missing",
                "write [text](https://…) with both brackets and both parentheses",
            ),
            (None, Some(_)) => problem(
                at,
                "this link has no opening `[`",
                "write [text](https://…) with both brackets",
            ),
            (Some(open), Some(close)) if rest[..close].trim().contains(char::is_whitespace) => {
                problem(
                    open,
                    "this link's address contains a space",
                    "write the space as %20, or put the address in <angle brackets>",
                )
            }
            (Some(open), Some(_)) => problem(
                open,
                "this is not a link: its brackets or parentheses do not match",
                "write [text](https://…); a ( or [ inside the text or address must be closed",
            ),
        };
        problems.push((at, found));
    }
    for (at, _) in text.match_indices("] (") {
        if let Some(open) = text[..at].rfind('[') {
            problems.push((
                at,
                problem(
                    open,
                    "a space between `]` and `(` breaks this link",
                    "write [text](https://…) without the space",
                ),
            ));
        }
    }
    for scheme in ["(https://", "(http://", "(mailto:"] {
        for (at, _) in text.match_indices(scheme) {
            if let Some(open) = text[..at].rfind('[')
                && !text[open..at].contains(']')
            {
                problems.push((
                    at,
                    problem(
                        open,
                        "this link's text is not closed: its `]` is missing",
                        "write [text](https://…) with both brackets",
                    ),
                ));
            }
        }
    }
    problems.sort_by_key(|(at, _)| *at);
    problems.into_iter().map(|(_, problem)| problem).collect()
}

impl Markdown {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Links that would not reach readers as written: a destination without a
    /// scheme or with one an email must not carry (`javascript:`, `data:`), and
    /// link syntax left unbalanced, which shows as literal brackets. A
    /// destination that is exactly one of `placeholders` (`{link}`) is filled later.
    pub fn link_problems(&self, placeholders: &[&str]) -> Vec<LinkProblem> {
        let mut problems = Vec::new();
        // The text of one block, with links and code left out, so that the
        // brackets of one text run are seen together.
        let mut run = String::new();
        let flush = |run: &mut String, problems: &mut Vec<LinkProblem>| {
            problems.extend(broken_links(run));
            run.clear();
        };
        let mut in_code_block = false;
        for event in parser(&self.0) {
            match event {
                Event::Start(Tag::Link { dest_url, .. }) => {
                    problems.extend(destination_problem(&dest_url, placeholders));
                    run.push('\u{0}');
                }
                Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
                Event::End(TagEnd::CodeBlock) => in_code_block = false,
                Event::Text(text) if !in_code_block => run.push_str(&text),
                Event::Code(_) | Event::End(TagEnd::Link) => run.push('\u{0}'),
                Event::SoftBreak | Event::HardBreak => run.push('\n'),
                Event::Start(
                    Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Image { .. },
                )
                | Event::End(
                    TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Image,
                ) => {}
                // A block starts or ends: brackets never pair across blocks.
                Event::Start(_) | Event::End(_) => flush(&mut run, &mut problems),
                _ => {}
            }
        }
        flush(&mut run, &mut problems);
        problems
    }

    /// Every image with its alt text.
    pub fn images(&self) -> Vec<Image> {
        let mut images = Vec::new();
        let mut current: Option<Image> = None;
        for event in parser(&self.0) {
            match event {
                Event::Start(Tag::Image { dest_url, .. }) => {
                    current = Some(Image {
                        url: dest_url.to_string(),
                        alt: String::new(),
                    })
                }
                Event::Text(text) | Event::Code(text) => {
                    if let Some(image) = &mut current {
                        image.alt.push_str(&text);
                    }
                }
                Event::End(TagEnd::Image) => images.extend(current.take()),
                _ => {}
            }
        }
        images
    }

    /// The first raw HTML the editor wrote (its first line), if any: it is
    /// shown as text, never as markup.
    pub fn raw_html(&self) -> Option<String> {
        parser(&self.0).find_map(|e| match e {
            Event::Html(html) | Event::InlineHtml(html) => {
                Some(html.lines().next().unwrap_or_default().trim().to_string())
            }
            _ => None,
        })
    }

    /// The first `**` left unpaired, with the word it starts, which readers
    /// would see as two asterisks instead of bold text (`Pick **Aider if`).
    pub fn unpaired_strong(&self) -> Option<String> {
        let mut run = String::new();
        let mut in_code_block = false;
        let found = |run: &str| {
            let at = run.find("**")?;
            let word = run[at + 2..]
                .split(char::is_whitespace)
                .next()
                .unwrap_or_default();
            Some(format!("**{word}"))
        };
        for (event, range) in parser(&self.0).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
                Event::End(TagEnd::CodeBlock) => in_code_block = false,
                // Pieces of one text run come as several events; their text
                // as written, so that escaped asterisks (\*\*) are not taken.
                Event::Text(_) if !in_code_block => {
                    let escaped = self.0[..range.start].ends_with('\\');
                    run.push_str(&self.0[range.start - usize::from(escaped)..range.end]);
                    continue;
                }
                _ => {}
            }
            if let Some(needle) = found(&run) {
                return Some(needle);
            }
            run.clear();
        }
        found(&run)
    }

    /// Email-safe HTML: every text escaped, raw HTML shown as text.
    pub fn to_html(&self, style: &HtmlStyle) -> String {
        self.html_with_headings(style, 3)
    }

    /// A web page of its own: headings start at `h2`, under the page's `h1`.
    pub fn to_html_document(&self) -> String {
        self.html_with_headings(&HtmlStyle::web(), 2)
    }

    /// `top` is the level of `#` and `##` headings on the web; deeper ones
    /// are one below.
    fn html_with_headings(&self, style: &HtmlStyle, top: u8) -> String {
        let web_level = |level: HeadingLevel| {
            if level <= HeadingLevel::H2 {
                top
            } else {
                top + 1
            }
        };
        let mut out = String::with_capacity(self.0.len() * 2);
        let mut image_alt: Option<(String, String)> = None;
        let mut open_links: Vec<bool> = Vec::new();
        for event in parser(&self.0) {
            if let Some((_, alt)) = &mut image_alt {
                match event {
                    Event::End(TagEnd::Image) => {
                        let (url, alt) = image_alt.take().unwrap_or_default();
                        if !web_image(&url) {
                            // Only images on the web are shown; the words stay.
                            escape(&mut out, &alt);
                            continue;
                        }
                        out.push_str("<img src=\"");
                        escape(&mut out, &url);
                        out.push_str("\" alt=\"");
                        escape(&mut out, &alt);
                        out.push('"');
                        out.push_str(
                            &style.attr("display:block;max-width:100%;height:auto;border:0;"),
                        );
                        out.push('>');
                    }
                    Event::Text(text) | Event::Code(text) => alt.push_str(&text),
                    _ => {}
                }
                continue;
            }
            match event {
                Event::Start(tag) => match tag {
                    Tag::Paragraph => {
                        let _ = write!(out, "<p{}>", style.attr(&style.paragraph));
                    }
                    Tag::Heading { level, .. } if style.web => {
                        let _ = write!(out, "<h{}>", web_level(level));
                    }
                    Tag::Heading { level, .. } => {
                        let size = if level <= HeadingLevel::H2 { 18 } else { 16 };
                        let css = format!("{}font-weight:700;font-size:{size}px;", style.paragraph);
                        let _ = write!(out, "<p{}>", style.attr(&css));
                    }
                    Tag::BlockQuote(_) => {
                        let _ = write!(out, "<blockquote{}>", style.attr(&style.quote));
                    }
                    Tag::CodeBlock(_) => {
                        let css = format!("{}white-space:pre-wrap;", style.code);
                        let _ = write!(out, "<pre{}><code>", style.attr(&css));
                    }
                    Tag::List(Some(start)) => {
                        let _ = write!(
                            out,
                            "<ol start=\"{start}\"{}>",
                            style.attr(&style.paragraph)
                        );
                    }
                    Tag::List(None) => {
                        let _ = write!(out, "<ul{}>", style.attr(&style.paragraph));
                    }
                    Tag::Item => out.push_str("<li>"),
                    Tag::Emphasis => out.push_str("<em>"),
                    Tag::Strong => out.push_str("<strong>"),
                    Tag::Strikethrough => out.push_str("<s>"),
                    Tag::Link { dest_url, .. } => {
                        let safe = safe_url(&dest_url);
                        if safe {
                            out.push_str("<a href=\"");
                            escape(&mut out, &dest_url);
                            let _ = write!(out, "\"{}>", style.attr(&style.link));
                        }
                        open_links.push(safe);
                    }
                    Tag::Image { dest_url, .. } => {
                        image_alt = Some((dest_url.to_string(), String::new()));
                    }
                    _ => {}
                },
                Event::End(tag) => match tag {
                    TagEnd::Heading(level) if style.web => {
                        let _ = write!(out, "</h{}>", web_level(level));
                    }
                    TagEnd::Paragraph | TagEnd::Heading(_) => out.push_str("</p>"),
                    TagEnd::BlockQuote(_) => out.push_str("</blockquote>"),
                    TagEnd::CodeBlock => out.push_str("</code></pre>"),
                    TagEnd::List(true) => out.push_str("</ol>"),
                    TagEnd::List(false) => out.push_str("</ul>"),
                    TagEnd::Item => out.push_str("</li>"),
                    TagEnd::Emphasis => out.push_str("</em>"),
                    TagEnd::Strong => out.push_str("</strong>"),
                    TagEnd::Strikethrough => out.push_str("</s>"),
                    TagEnd::Link if open_links.pop() == Some(true) => out.push_str("</a>"),
                    _ => {}
                },
                Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => {
                    escape(&mut out, &text)
                }
                Event::Code(code) => {
                    let _ = write!(out, "<code{}>", style.attr(&style.code));
                    escape(&mut out, &code);
                    out.push_str("</code>");
                }
                Event::SoftBreak => out.push('\n'),
                Event::HardBreak => out.push_str("<br>"),
                Event::Rule => out.push_str("<hr>"),
                _ => {}
            }
        }
        out
    }

    /// Plain text wrapped at `width`, every line starting with `indent`:
    /// _emphasis_ and *strong* marked, code blocks kept line for line.
    pub fn to_text(&self, width: usize, indent: &str) -> String {
        let mut blocks: Vec<TextBlock> = Vec::new();
        let mut current = String::new();
        let mut prefix = String::new();
        let mut quote_depth = 0usize;
        let mut list_numbers: Vec<Option<u64>> = Vec::new();
        let mut links: Vec<String> = Vec::new();
        let mut in_code_block = false;
        let flush = |blocks: &mut Vec<TextBlock>, current: &mut String, prefix: &str| {
            let text = current.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                blocks.push(TextBlock::Wrapped(prefix.to_string(), text));
            }
            current.clear();
        };
        for event in parser(&self.0) {
            if in_code_block {
                match event {
                    Event::Text(text) => current.push_str(&text),
                    Event::End(TagEnd::CodeBlock) => {
                        in_code_block = false;
                        let code = std::mem::take(&mut current);
                        blocks.push(TextBlock::Verbatim(
                            format!("{}    ", "> ".repeat(quote_depth)),
                            code.trim_end_matches('\n').to_string(),
                        ));
                    }
                    _ => {}
                }
                continue;
            }
            match event {
                Event::Start(Tag::CodeBlock(_)) => {
                    flush(&mut blocks, &mut current, &prefix);
                    in_code_block = true;
                }
                Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
                Event::End(TagEnd::BlockQuote(_)) => quote_depth = quote_depth.saturating_sub(1),
                Event::Start(Tag::List(start)) => list_numbers.push(start),
                Event::End(TagEnd::List(_)) => {
                    list_numbers.pop();
                }
                Event::Start(Tag::Item) => {
                    flush(&mut blocks, &mut current, &prefix);
                    prefix = match list_numbers.last_mut() {
                        Some(Some(n)) => {
                            *n += 1;
                            format!("{}. ", *n - 1)
                        }
                        _ => "- ".to_string(),
                    };
                }
                Event::End(TagEnd::Item) => {
                    flush(&mut blocks, &mut current, &prefix);
                    prefix.clear();
                }
                Event::Start(Tag::Paragraph | Tag::Heading { .. }) if prefix.is_empty() => {
                    prefix = "> ".repeat(quote_depth);
                }
                Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => {
                    flush(&mut blocks, &mut current, &prefix);
                    if list_numbers.is_empty() {
                        prefix.clear();
                    }
                }
                Event::Start(Tag::Emphasis) | Event::End(TagEnd::Emphasis) => current.push('_'),
                Event::Start(Tag::Strong) | Event::End(TagEnd::Strong) => current.push('*'),
                Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
                Event::End(TagEnd::Link) => {
                    if let Some(url) = links.pop() {
                        let shown = current.trim_end().ends_with(url.as_str());
                        if !shown {
                            let _ = write!(current, " ({url})");
                        }
                    }
                }
                Event::Start(Tag::Image { dest_url, .. }) => {
                    links.push(dest_url.to_string());
                    current.push_str("[image: ");
                }
                Event::End(TagEnd::Image) => {
                    current.push(']');
                    links.pop();
                }
                Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => {
                    current.push_str(&text)
                }
                Event::Code(text) => {
                    current.push('`');
                    current.push_str(&text);
                    current.push('`');
                }
                Event::SoftBreak | Event::HardBreak => current.push(' '),
                Event::Rule => {
                    flush(&mut blocks, &mut current, &prefix);
                    blocks.push(TextBlock::Wrapped(String::new(), "* * *".into()));
                }
                _ => {}
            }
        }
        flush(&mut blocks, &mut current, &prefix);
        let mut out = String::new();
        let is_item = |block: &TextBlock| matches!(block, TextBlock::Wrapped(prefix, _) if prefix.starts_with("- ") || prefix.ends_with(". "));
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 {
                out.push('\n');
                if !(is_item(block) && is_item(&blocks[i - 1])) {
                    out.push('\n');
                }
            }
            match block {
                TextBlock::Wrapped(prefix, text) => {
                    let first = format!("{indent}{prefix}");
                    let rest = format!("{indent}{}", " ".repeat(prefix.chars().count()));
                    out.push_str(&wrap(text, width, &first, &rest));
                }
                TextBlock::Verbatim(prefix, code) => {
                    let lines: Vec<String> = code
                        .lines()
                        .map(|l| format!("{indent}{prefix}{l}"))
                        .collect();
                    out.push_str(&lines.join("\n"));
                }
            }
        }
        out
    }
}

/// A block of the text part: prose to wrap after a prefix, or code kept as is.
enum TextBlock {
    Wrapped(String, String),
    Verbatim(String, String),
}

/// Wraps `text` at `width` columns; long words (URLs) are never broken.
///
/// A dash between words is bound to the word before it, so that no wrapped line
/// starts with one (it would read as an attribution).
pub fn wrap(text: &str, width: usize, first_indent: &str, rest_indent: &str) -> String {
    let text = text
        .replace(" \u{2014} ", "\u{a0}\u{2014} ")
        .replace(" \u{2013} ", "\u{a0}\u{2013} ")
        .replace(" - ", "\u{a0}- ");
    let text = text.as_str();
    let options = textwrap::Options::new(width)
        .initial_indent(first_indent)
        .subsequent_indent(rest_indent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .word_separator(textwrap::WordSeparator::AsciiSpace);
    textwrap::fill(text, options)
}

fn escape(out: &mut String, text: &str) {
    let _ = Escaper::new(out).write_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unpaired_strong_marker_is_found_and_paired_or_escaped_ones_are_not() {
        let found = |text: &str| Markdown(text.into()).unpaired_strong();
        assert_eq!(found("Pick **Aider if you can."), Some("**Aider".into()));
        assert_eq!(found("Pick **Aider** today."), None);
        assert_eq!(found("First\n\nthen *one* and ** alone"), Some("**".into()));
        assert_eq!(found("Write \\*\\* for two asterisks."), None);
        assert_eq!(found("`a ** b` in code"), None);
        assert_eq!(found("```\nx ** y\n```"), None);
    }

    #[test]
    fn the_text_keeps_emphasis_and_code_blocks() {
        let text = Markdown(
            "Some *emphasis*, **strong** and `code`.\n\n```\nfn main() {\n    run();\n}\n```\n"
                .into(),
        )
        .to_text(72, "");
        assert!(
            text.contains("Some _emphasis_, *strong* and `code`."),
            "{text}"
        );
        assert!(
            text.contains("    fn main() {\n        run();\n    }"),
            "{text}"
        );
    }

    #[test]
    fn only_images_on_the_web_become_img_tags() {
        let style = HtmlStyle::web();
        let html = Markdown("![chart](https://example.com/c.png) ![x](javascript:alert(1)) ![y](data:image/png;base64,AA)".into())
            .to_html(&style);
        assert_eq!(html.matches("<img").count(), 1, "{html}");
        assert!(
            !html.contains("javascript:") && !html.contains("data:"),
            "{html}"
        );
    }

    #[test]
    fn good_links_pass_and_code_is_not_read_as_links() {
        let fine = Markdown(
            "See [Foo](https://en.wikipedia.org/wiki/Foo_(bar)), <https://example.com>, \
             [mail](mailto:news@example.com), `[x](y` and [confirm]({link}).\n\n\
             ```\n[not](a link\n```\n"
                .into(),
        );
        assert_eq!(fine.link_problems(&["link"]), Vec::new());
        let placeholder = Markdown("[confirm]({link})".into()).link_problems(&[]);
        assert_eq!(placeholder.len(), 1, "{placeholder:?}");
    }

    #[test]
    fn hostile_and_careless_links_are_each_found() {
        let cases = [
            (
                "[a](JavaScript:alert(1))",
                "a `javascript:` link is never shown",
            ),
            (
                "[a]( data:text/html;base64,PHNjcmlwdD4= )",
                "a `data:` link is never shown",
            ),
            (
                "[a](ftp://example.com/f)",
                "a `ftp:` link does not work in email",
            ),
            (
                "[a](www.example.com)",
                "the link `www.example.com` has no scheme",
            ),
            ("[a](/relative)", "the link `/relative` has no scheme"),
            ("[a](https://)", "the link `https://` is not a web address"),
            ("a](https://example.com)", "this link has no opening `[`"),
            (
                "[a](https://example.com",
                "this link is not closed: its `)` is missing",
            ),
            (
                "[a(https://example.com)",
                "this link's text is not closed: its `]` is missing",
            ),
        ];
        for (text, expected) in cases {
            let problems = Markdown(text.into()).link_problems(&[]);
            assert_eq!(
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>(),
                [expected],
                "{text}"
            );
        }
    }

    #[test]
    fn no_wrapped_line_starts_with_a_dash() {
        let prose = "The primitive is clean and the license decision matters a great deal — Mistral could have shipped this under another license - and did not – which counts.";
        for width in 20..72 {
            let text = Markdown(prose.into()).to_text(width, "    ");
            for line in text.lines().skip(1) {
                let start = line.trim_start();
                assert!(
                    !start.starts_with(['\u{2014}', '\u{2013}', '-']),
                    "width {width}: {line:?}"
                );
            }
        }
    }
}
