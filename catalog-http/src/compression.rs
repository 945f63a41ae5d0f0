//! Content codings: choosing brotli or gzip from a request's `Accept-Encoding`
//! (RFC 9110 §12.5.3) and compressing an answer with it.

use std::io::Write;

/// Bodies shorter than this are sent as they are: compressing them saves
/// less than it costs.
pub(crate) const MIN_COMPRESSED_LEN: usize = 1024;

/// brotli quality and gzip level: the fastest settings, for answers compressed
/// per request. On a 3,027-byte styles answer they give 626 and 629 bytes
/// against 556 and 610 at quality and level 4, at about 1.5× the throughput
/// (docs/bench/load/tuning.md).
const BROTLI_QUALITY: u32 = 1;
const BROTLI_WINDOW_BITS: u32 = 20;
const GZIP_LEVEL: u32 = 1;

/// A content coding the service can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    /// The coding's name in `Content-Encoding`, also used to tell its `ETag` apart.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// `body` compressed with this coding; `None` if the encoder failed.
    pub(crate) fn compress(self, body: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(body.len() / 2);
        match self {
            Coding::Brotli => {
                let mut writer = brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW_BITS);
                writer.write_all(body).ok()?;
                // Dropping the writer ends the brotli stream.
                drop(writer);
            }
            Coding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(&mut out, flate2::Compression::new(GZIP_LEVEL));
                encoder.write_all(body).ok()?;
                encoder.finish().ok()?;
            }
        }
        Some(out)
    }
}

/// The coding to answer with, given an `Accept-Encoding` value: the one with
/// the highest weight, brotli on a tie; `None` when neither is acceptable.
pub(crate) fn negotiate(accept_encoding: &str) -> Option<Coding> {
    let (mut brotli, mut gzip, mut any) = (None, None, None);
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default().to_ascii_lowercase();
        let Some(weight) = weight(parts) else { continue };
        match name.as_str() {
            "br" => brotli = Some(weight),
            "gzip" | "x-gzip" => gzip = Some(weight),
            "*" => any = Some(weight),
            _ => {}
        }
    }
    let brotli = brotli.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    if brotli <= 0.0 && gzip <= 0.0 {
        None
    } else if brotli >= gzip {
        Some(Coding::Brotli)
    } else {
        Some(Coding::Gzip)
    }
}

/// The `q` parameter among `parameters` (1 when absent); `None` when it is malformed.
fn weight<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<f32> {
    let mut weight = 1.0;
    for parameter in parameters {
        if let Some((key, value)) = parameter.split_once('=')
            && key.trim().eq_ignore_ascii_case("q")
        {
            weight = value.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q))?;
        }
    }
    Some(weight)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_heaviest_acceptable_coding_wins_and_brotli_breaks_ties() {
        assert_eq!(negotiate("gzip, deflate, br"), Some(Coding::Brotli));
        assert_eq!(negotiate("gzip"), Some(Coding::Gzip));
        assert_eq!(negotiate("br;q=0.5, gzip;q=0.8"), Some(Coding::Gzip));
        assert_eq!(negotiate("GZIP ; Q=1, br;q=0"), Some(Coding::Gzip));
        assert_eq!(negotiate("*"), Some(Coding::Brotli));
        assert_eq!(negotiate("*;q=0.1, br;q=0"), Some(Coding::Gzip));
        assert_eq!(negotiate("x-gzip"), Some(Coding::Gzip));
    }

    #[test]
    fn nothing_acceptable_or_malformed_means_no_coding() {
        for header in [
            "",
            "identity",
            "deflate",
            "br;q=0, gzip;q=0",
            "br;q=2",
            "gzip;q=x",
            "*;q=0",
        ] {
            assert_eq!(negotiate(header), None, "{header}");
        }
    }

    #[test]
    fn both_codings_round_trip() {
        let body = br#"{"product_id":"1","results":[]}"#.repeat(100);
        let gzip = Coding::Gzip.compress(&body).unwrap();
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, body);
        assert!(gzip.len() < body.len() / 4);

        let brotli = Coding::Brotli.compress(&body).unwrap();
        let mut unbrotlied = Vec::new();
        brotli::Decompressor::new(&brotli[..], 4096)
            .read_to_end(&mut unbrotlied)
            .unwrap();
        assert_eq!(unbrotlied, body);
        assert!(brotli.len() < body.len() / 4);
    }
}
