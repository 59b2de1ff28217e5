//! A text made once and completed many times: literal pieces with slots between
//! them. The rendered issue, its encoded bodies and the message skeleton are all
//! this one shape, with different literals and slots.

/// A literal run or a slot to fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<L, S> {
    Literal(L),
    Slot(S),
}

/// Literals and slots in order, with the literals' total length known so that
/// an output buffer is sized once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pieces<L, S> {
    pieces: Vec<Piece<L, S>>,
    literal_len: usize,
}

impl<L: AsRef<[u8]>, S: Copy> Pieces<L, S> {
    /// Empty literals are dropped.
    pub fn new(pieces: Vec<Piece<L, S>>) -> Self {
        let pieces: Vec<Piece<L, S>> = pieces
            .into_iter()
            .filter(|p| !matches!(p, Piece::Literal(l) if l.as_ref().is_empty()))
            .collect();
        let literal_len = pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(l) => l.as_ref().len(),
                Piece::Slot(_) => 0,
            })
            .sum();
        Pieces {
            pieces,
            literal_len,
        }
    }

    /// The total length of the literal pieces.
    pub fn literal_len(&self) -> usize {
        self.literal_len
    }

    pub fn iter(&self) -> impl Iterator<Item = &Piece<L, S>> {
        self.pieces.iter()
    }

    /// The same slots with every literal transformed once (encoded, say).
    pub fn map_literals<M: AsRef<[u8]>>(&self, mut f: impl FnMut(&L) -> M) -> Pieces<M, S> {
        Pieces::new(
            self.pieces
                .iter()
                .map(|p| match p {
                    Piece::Literal(l) => Piece::Literal(f(l)),
                    Piece::Slot(s) => Piece::Slot(*s),
                })
                .collect(),
        )
    }

    /// Appends the literals and, for each slot, what `slot` writes.
    pub fn fill_into(&self, out: &mut Vec<u8>, mut slot: impl FnMut(S, &mut Vec<u8>)) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(l) => out.extend_from_slice(l.as_ref()),
                Piece::Slot(s) => slot(*s, out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filling_keeps_the_order_and_drops_empty_literals() {
        let pieces = Pieces::new(vec![
            Piece::Literal("a".to_string()),
            Piece::Slot(1u8),
            Piece::Literal(String::new()),
            Piece::Literal("bc".to_string()),
            Piece::Slot(2),
        ]);
        assert_eq!(pieces.iter().count(), 4);
        assert_eq!(pieces.literal_len(), 3);
        let mut out = Vec::new();
        pieces.fill_into(&mut out, |s, out| {
            out.extend_from_slice(format!("<{s}>").as_bytes())
        });
        assert_eq!(out, b"a<1>bc<2>");
        let upper = pieces.map_literals(|l| l.to_uppercase());
        let mut out = Vec::new();
        upper.fill_into(&mut out, |_, _| {});
        assert_eq!(out, b"ABC");
    }
}
