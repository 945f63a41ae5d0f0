//! `GET /docs`: the interactive API reference, Swagger UI over the service's
//! own `/openapi.json`, with every asset embedded in the binary so the page
//! works with no internet (the vendored files and where they came from:
//! `assets/swagger-ui/SOURCE.md`).
//!
//! Each file is an [`Answer`] made once per process, so its tag and its
//! brotli and gzip forms are computed on the first request and kept. The
//! replies are [`Freshness::Browser`]: browsers revalidate with the `ETag`,
//! shared caches never keep them. A `Content-Security-Policy` lets the page
//! load nothing but its own origin, which is also where "Try it out" sends
//! its requests.

use std::sync::{Arc, OnceLock};

use warp::http::{HeaderName, HeaderValue, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::answer::Answer;
use crate::reply::{Freshness, Reply};

/// The version of Swagger UI under `assets/swagger-ui`.
pub const SWAGGER_UI_VERSION: &str = "5.35.0";

/// The page and the scripts it runs may load only from the service itself;
/// Swagger UI sets inline styles and shows data: images, nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// One file of the reference: its name under `/docs/` (empty for the page),
/// its content type and its bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Every file `/docs` serves.
const ASSETS: [Asset; 5] = [
    Asset {
        name: "",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../assets/docs/index.html"),
    },
    Asset {
        name: "init.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/docs/init.js"),
    },
    Asset {
        name: "swagger-ui-bundle.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
    },
    Asset {
        name: "swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/swagger-ui/swagger-ui.css"),
    },
    Asset {
        name: "favicon-32x32.png",
        content_type: "image/png",
        bytes: include_bytes!("../assets/swagger-ui/favicon-32x32.png"),
    },
];

/// The reply to a `GET` of `path`, a path under `/docs` (`/docs` itself,
/// with or without its trailing slash, is the page).
pub(crate) fn reply(path: &str) -> Reply {
    static ANSWERS: OnceLock<Vec<Arc<Answer>>> = OnceLock::new();
    let name = path.strip_prefix("/docs").unwrap_or_default().trim_start_matches('/');
    let Some(index) = ASSETS.iter().position(|asset| asset.name == name) else {
        return Reply::error(
            StatusCode::NOT_FOUND,
            "no such file of the API reference; see GET /docs",
        );
    };
    let answers = ANSWERS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| Arc::new(Answer::new(Bytes::from_static(asset.bytes))))
            .collect()
    });
    Reply::shared(Arc::clone(&answers[index]), Freshness::Browser)
        .with_content_type(ASSETS[index].content_type)
        .with_header(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        )
        .with_header(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_each_asset_it_links_are_served() {
        let page = reply("/docs");
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(reply("/docs/").body(), page.body());
        let html = std::str::from_utf8(page.body()).expect("UTF-8");
        for asset in ASSETS.iter().filter(|asset| !asset.name.is_empty()) {
            assert!(
                html.contains(&format!("\"/docs/{}\"", asset.name)),
                "{} is not linked",
                asset.name
            );
            assert_eq!(reply(&format!("/docs/{}", asset.name)).body().as_ref(), asset.bytes);
        }
    }

    #[test]
    fn an_unknown_file_is_a_404() {
        assert_eq!(reply("/docs/secret.txt").status(), StatusCode::NOT_FOUND);
        assert_eq!(reply("/docs/../Cargo.toml").status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_recorded_version_is_the_vendored_one() {
        let source = include_str!("../assets/swagger-ui/SOURCE.md");
        assert!(source.starts_with(&format!("# Swagger UI {SWAGGER_UI_VERSION}, vendored")));
        let bundle = include_str!("../assets/swagger-ui/swagger-ui-bundle.js");
        assert!(
            bundle.contains(SWAGGER_UI_VERSION),
            "the bundle is not {SWAGGER_UI_VERSION}"
        );
    }
}
