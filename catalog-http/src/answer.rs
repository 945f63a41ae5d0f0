//! A serialized 200 answer and the representations derived from it: its
//! entity tags and its brotli and gzip forms, each made when first asked for
//! and kept. A cached answer carries them, so a hot answer is hashed once and
//! compressed at most once per coding, not on every request.

use std::sync::OnceLock;

use warp::http::HeaderValue;
use warp::hyper::body::Bytes;

use crate::compression::Coding;

/// An answer's body and, once asked for, its tags and compressed forms.
pub(crate) struct Answer {
    body: Bytes,
    /// The tags of the body as it is, in brotli and in gzip.
    tags: OnceLock<Tags>,
    brotli: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

struct Tags {
    identity: HeaderValue,
    brotli: HeaderValue,
    gzip: HeaderValue,
}

impl Answer {
    /// An answer with `body`; nothing is derived from it until asked for.
    pub(crate) fn new(body: Bytes) -> Answer {
        Answer {
            body,
            tags: OnceLock::new(),
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    /// The body as serialized.
    pub(crate) fn body(&self) -> &Bytes {
        &self.body
    }

    /// The strong tag of the body in `coding` (`None`: as it is).
    pub(crate) fn tag(&self, coding: Option<Coding>) -> &HeaderValue {
        let tags = self.tags.get_or_init(|| {
            let identity = etag(&self.body);
            let coded = |coding: Coding| header_value(&coded_tag(&identity, coding));
            Tags {
                brotli: coded(Coding::Brotli),
                gzip: coded(Coding::Gzip),
                identity: header_value(&identity),
            }
        });
        match coding {
            None => &tags.identity,
            Some(Coding::Brotli) => &tags.brotli,
            Some(Coding::Gzip) => &tags.gzip,
        }
    }

    /// The body compressed with `coding`, compressed on first use and kept;
    /// `None` if the encoder failed.
    pub(crate) fn coded(&self, coding: Coding) -> Option<&Bytes> {
        let form = match coding {
            Coding::Brotli => &self.brotli,
            Coding::Gzip => &self.gzip,
        };
        form.get_or_init(|| coding.compress(&self.body).map(Bytes::from))
            .as_ref()
    }
}

pub(crate) use catalog_core::entity_tag as etag;

/// The tag of the `coding` form of the body tagged `identity_tag`: each
/// representation has its own strong tag, as RFC 9110 §8.8.3 requires.
fn coded_tag(identity_tag: &str, coding: Coding) -> String {
    format!("{}-{}\"", identity_tag.trim_end_matches('"'), coding.token())
}

/// A tag as a header value; tags are hex digits, quotes and a coding token,
/// always valid.
fn header_value(tag: &str) -> HeaderValue {
    HeaderValue::from_str(tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_quoted_hashes_that_follow_the_bytes() {
        let tag = etag(br#"{"id":1}"#);
        assert_eq!(tag.len(), 34);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_eq!(tag, etag(br#"{"id":1}"#));
        assert_ne!(tag, etag(br#"{"id":2}"#));
    }

    #[test]
    fn each_coding_has_its_own_quoted_tag() {
        let answer = Answer::new(Bytes::from_static(b"x"));
        let identity = answer.tag(None).to_str().unwrap().to_owned();
        assert_eq!(identity, etag(b"x"));
        let br = answer.tag(Some(Coding::Brotli)).to_str().unwrap();
        assert!(
            br.starts_with(identity.trim_end_matches('"')) && br.ends_with("-br\""),
            "{br}"
        );
        assert_eq!(
            answer.tag(Some(Coding::Gzip)).to_str().unwrap(),
            coded_tag(&identity, Coding::Gzip)
        );
        assert_ne!(br, answer.tag(Some(Coding::Gzip)));
    }

    #[test]
    fn a_compressed_form_is_made_once_and_kept() {
        let answer = Answer::new(Bytes::from(vec![b'a'; 4096]));
        let first = answer.coded(Coding::Brotli).expect("compressed").clone();
        assert!(first.len() < 100);
        let again = answer.coded(Coding::Brotli).expect("compressed");
        assert_eq!(
            first.as_ptr(),
            again.as_ptr(),
            "the same bytes, not a second compression"
        );
        assert_ne!(answer.coded(Coding::Gzip).expect("compressed"), &first);
    }
}
