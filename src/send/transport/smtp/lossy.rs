//! Replies read whatever their text: lettre reads a relay's replies as UTF-8
//! and fails on anything else, so that a `250` followed by Latin-1 text would
//! count as a lost connection. This stream replaces each byte the relay sends
//! that is not part of valid UTF-8 with `?`, until it is switched off (before
//! STARTTLS, whose records must pass untouched).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A stream whose incoming bytes are made valid UTF-8 while `active` holds.
#[derive(Debug)]
pub(super) struct Lossy<S> {
    inner: S,
    active: Arc<AtomicBool>,
    /// The start of a character cut by the end of the last read.
    carry: Vec<u8>,
    /// Repaired bytes not yet handed to the reader.
    ready: Vec<u8>,
}

impl<S> Lossy<S> {
    /// Wraps `inner`; the returned switch turns the repair off.
    pub(super) fn new(inner: S) -> (Lossy<S>, Arc<AtomicBool>) {
        let active = Arc::new(AtomicBool::new(true));
        let stream = Lossy {
            inner,
            active: active.clone(),
            carry: Vec::new(),
            ready: Vec::new(),
        };
        (stream, active)
    }
}

/// Appends `bytes` to `out` with every byte outside valid UTF-8 made `?`;
/// returns an incomplete character at the end (up to 3 bytes) unless `last`.
fn repair(bytes: &[u8], out: &mut Vec<u8>, last: bool) -> Vec<u8> {
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.extend_from_slice(text.as_bytes());
                return Vec::new();
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                out.extend_from_slice(valid);
                match error.error_len() {
                    Some(len) => {
                        out.extend(std::iter::repeat_n(b'?', len));
                        rest = &after[len..];
                    }
                    None if last => {
                        out.extend(std::iter::repeat_n(b'?', after.len()));
                        return Vec::new();
                    }
                    None => return after.to_vec(),
                }
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Lossy<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.active.load(Ordering::SeqCst) && this.ready.is_empty() && this.carry.is_empty() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        while this.ready.is_empty() {
            let mut block = [0u8; 4096];
            let mut read = ReadBuf::new(&mut block);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) => {}
            }
            let filled = read.filled();
            let end = filled.is_empty();
            let mut bytes = std::mem::take(&mut this.carry);
            bytes.extend_from_slice(filled);
            if end && bytes.is_empty() {
                return Poll::Ready(Ok(()));
            }
            this.carry = repair(&bytes, &mut this.ready, end);
        }
        let n = this.ready.len().min(buf.remaining());
        buf.put_slice(&this.ready[..n]);
        this.ready.drain(..n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Lossy<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S: AsyncTokioStream> AsyncTokioStream for Lossy<S> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[test]
    fn invalid_bytes_become_question_marks_and_valid_text_stays() {
        let mut out = Vec::new();
        let carry = repair(b"250 ok \xe9t\xc3\xa9 \xff", &mut out, false);
        assert_eq!(out, "250 ok ?t\u{e9} ?".as_bytes());
        assert!(carry.is_empty());
        let mut out = Vec::new();
        let carry = repair(b"250 caf\xc3", &mut out, false);
        assert_eq!(
            (out.as_slice(), carry.as_slice()),
            (&b"250 caf"[..], &b"\xc3"[..])
        );
    }

    #[tokio::test]
    async fn a_character_cut_between_reads_is_kept_whole() {
        let (client, mut server) = tokio::io::duplex(64);
        let (mut lossy, _switch) = Lossy::new(client);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            server.write_all(b"250 caf\xc3").await.unwrap();
            server.flush().await.unwrap();
            tokio::task::yield_now().await;
            server.write_all(b"\xa9 \x80\r\n").await.unwrap();
        });
        let mut text = String::new();
        lossy.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "250 caf\u{e9} ?\r\n");
    }
}
