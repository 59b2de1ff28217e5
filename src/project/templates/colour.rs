//! Colours as CSS writes them, kept as hex, and the WCAG contrast maths.

/// A colour, parsed as CSS and kept as `#rrggbb` (or `#rrggbbaa`): whatever
/// was written, nothing but a hex colour reaches a style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour([u8; 4]);

impl Colour {
    pub const WHITE: Colour = Colour([255, 255, 255, 255]);

    pub fn parse(text: &str) -> Option<Colour> {
        csscolorparser::parse(text.trim())
            .ok()
            .map(|c| Colour(c.to_rgba8()))
    }

    /// Whether nothing shows through it: email clients ignore alpha, so the
    /// theme's colours must be opaque.
    pub fn is_opaque(self) -> bool {
        self.0[3] == 255
    }

    /// WCAG 2.1 relative luminance.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b, _] = self.0;
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// The WCAG contrast ratio of two opaque colours (1 to 21).
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

impl std::fmt::Display for Colour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [r, g, b, a] = self.0;
        if a == 255 {
            write!(f, "#{r:02x}{g:02x}{b:02x}")
        } else {
            write!(f, "#{r:02x}{g:02x}{b:02x}{a:02x}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        let low = Colour::parse("#6b7280")
            .unwrap()
            .contrast(Colour::parse("#f3f4f6").unwrap());
        assert!((4.3..4.5).contains(&low), "{low}");
    }
}
