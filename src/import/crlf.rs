//! CRLF to LF on the fly, for exact line numbers from the csv crate.

use std::io::Read;

/// Turns CRLF into LF on the fly and ends the input with a LF: the csv crate counts lines by LF
/// and misplaces record starts after CRLF and blank lines, so lines are computed from where the
/// reader stands after each record. A lone CR is kept. Counts the bytes consumed (for progress).
pub(super) struct CrlfToLf<R> {
    inner: R,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    /// A CR at the end of the previous raw chunk, not yet decided.
    held_cr: bool,
    /// The last byte handed out (LF at the start, so an empty input stays empty).
    last: u8,
    pub(super) consumed: u64,
}

impl<R: Read> CrlfToLf<R> {
    pub(super) fn new(inner: R) -> Self {
        CrlfToLf::with_capacity(inner, 64 * 1024)
    }

    /// With buffers of `cap` bytes (an input known to be small needs no more than its size).
    pub(super) fn with_capacity(inner: R, cap: usize) -> Self {
        let cap = cap.max(1);
        CrlfToLf {
            inner,
            raw: vec![0; cap],
            out: Vec::with_capacity(cap),
            pos: 0,
            held_cr: false,
            last: b'\n',
            consumed: 0,
        }
    }

    /// Refills `out`; leaves it empty only at the end of input.
    fn refill(&mut self) -> std::io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() {
            let n = self.inner.read(&mut self.raw)?;
            self.consumed += n as u64;
            if n == 0 {
                if std::mem::take(&mut self.held_cr) {
                    self.out.push(b'\r');
                }
                if self.out.last().copied().unwrap_or(self.last) != b'\n' {
                    self.out.push(b'\n');
                }
                if let Some(&b) = self.out.last() {
                    self.last = b;
                }
                return Ok(());
            }
            for &b in &self.raw[..n] {
                if std::mem::take(&mut self.held_cr) && b != b'\n' {
                    self.out.push(b'\r');
                }
                if b == b'\r' {
                    self.held_cr = true;
                } else {
                    self.out.push(b);
                }
            }
        }
        if let Some(&b) = self.out.last() {
            self.last = b;
        }
        Ok(())
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.out.len() {
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        CrlfToLf::new(Chunks(input, chunk))
            .read_to_end(&mut out)
            .unwrap();
        // The same through buffers of `chunk` bytes (the reads of an input held in memory).
        let mut small = Vec::new();
        CrlfToLf::with_capacity(input, chunk)
            .read_to_end(&mut small)
            .unwrap();
        assert_eq!(small, out, "buffers of {chunk} bytes");
        out
    }

    #[test]
    fn crlf_becomes_lf_across_chunk_edges() {
        for chunk in [1, 2, 3, 7, 64] {
            assert_eq!(
                through(b"a,b\r\nc\rd\r\n\r\n", chunk),
                b"a,b\nc\rd\n\n",
                "chunk {chunk}"
            );
            assert_eq!(through(b"x\r", chunk), b"x\r\n", "chunk {chunk}");
            assert_eq!(through(b"a,b", chunk), b"a,b\n", "chunk {chunk}");
            assert_eq!(through(b"", chunk), b"", "chunk {chunk}");
            assert_eq!(through(b"\r\r\n", chunk), b"\r\n", "chunk {chunk}");
        }
    }
}
