//! Quoted-printable bodies encoded once per issue: per recipient only the slot
//! values are encoded and joined to the encoded literals.

use std::ops::Range;

use crate::author::pieces::Pieces;
use crate::author::render::{Personalisation, Slot, Template};

/// A template's quoted-printable body.
#[derive(Debug, Clone)]
pub(super) struct EncodedBody {
    pieces: Pieces<Vec<u8>, Slot>,
    /// The rendering, for its slot values.
    template: Template,
}

/// Quoted-printable as lettre writes it: CRLF line ends, then RFC 2045 encoding,
/// ended with a soft line break (invisible once decoded) unless it ends a line
/// already, so that pieces encoded apart join into valid quoted-printable.
fn encode_piece(text: &str) -> Vec<u8> {
    let mut crlf = String::with_capacity(text.len() + text.len() / 32);
    let mut previous = '\0';
    for c in text.chars() {
        if c == '\n' && previous != '\r' {
            crlf.push('\r');
        }
        crlf.push(c);
        previous = c;
    }
    let mut encoded = quoted_printable::encode(crlf);
    if !encoded.is_empty() && !encoded.ends_with(b"\r\n") {
        encoded.extend_from_slice(b"=\r\n");
    }
    encoded
}

impl EncodedBody {
    pub(super) fn new(template: &Template) -> Self {
        EncodedBody {
            pieces: template.pieces().map_literals(|text| encode_piece(text)),
            template: template.clone(),
        }
    }

    pub(super) fn literal_len(&self) -> usize {
        self.pieces.literal_len()
    }

    /// The encoded literals and slots, in order.
    pub(super) fn pieces(&self) -> &Pieces<Vec<u8>, Slot> {
        &self.pieces
    }

    /// The encoded body for one recipient.
    #[cfg(test)]
    pub(super) fn fill(&self, person: &Personalisation<'_>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.literal_len() + 512);
        self.fill_into(person, &mut out, None);
        out
    }

    /// Appends the encoded body for one recipient to `out`, and the range of
    /// `out` each slot took to `slots` when given.
    pub(super) fn fill_into(
        &self,
        person: &Personalisation<'_>,
        out: &mut Vec<u8>,
        mut slots: Option<&mut Vec<Range<usize>>>,
    ) {
        self.pieces.fill_into(out, |slot, out| {
            let start = out.len();
            out.extend_from_slice(&encode_piece(&self.template.slot_value(slot, person)));
            if let Some(slots) = slots.as_deref_mut() {
                slots.push(start..out.len());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_encoded_in_pieces_decode_to_the_filled_template() {
        let (_, _, rendered) = crate::send::message::composer::tests::demo_rendering();
        let long_url = format!(
            "https://verdicts.example.com/unsubscribe?u={}&t=x=y",
            "a".repeat(200)
        );
        let votes = vec![
            (
                "https://verdicts.example.com/vote?i=x&v=ship&t=a=b".to_string(),
                "https://verdicts.example.com/vote?v=skip".to_string()
            );
            2
        ];
        for person in [
            Personalisation {
                name: Some("Équipe ML = <b>&</b>"),
                email: "ml-team@example.com",
                unsubscribe_url: &long_url,
                votes: &votes,
            },
            Personalisation {
                name: None,
                email: "a@example.com",
                unsubscribe_url: "https://x.example/u",
                votes: &[],
            },
        ] {
            for (template, encoded) in [
                (&rendered.text, EncodedBody::new(&rendered.text)),
                (&rendered.html, EncodedBody::new(&rendered.html)),
            ] {
                let bytes = encoded.fill(&person);
                for line in bytes.split(|b| *b == b'\n') {
                    assert!(line.len() <= 77, "line of {} octets", line.len());
                    assert!(line.is_ascii());
                }
                let decoded =
                    quoted_printable::decode(&bytes, quoted_printable::ParseMode::Robust).unwrap();
                let expected = template
                    .fill(&person)
                    .replace("\r\n", "\n")
                    .replace('\n', "\r\n");
                assert_eq!(String::from_utf8(decoded).unwrap(), expected);
            }
        }
    }
}
