//! The one table of every path the service answers: its pattern, the methods
//! it allows and who may call each, and its metrics label.
//!
//! A request's path is looked up here once; what the lookup gives feeds
//! everything else: the handler to run, the 405 answer and its `Allow`
//! header, the methods a CORS preflight may ask for, and the label under
//! which `/metrics` counts the request. A new route (a write route with its
//! own methods and scope, say) is one more row of [`ROUTES`].

use std::sync::OnceLock;

use warp::http::Method;

/// What a matched path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /products`: a page of products.
    List,
    /// `GET /products/:product_id`: one product with its features.
    Product,
    /// `GET /products/:product_id/styles`.
    Styles,
    /// `GET /products/:product_id/related`.
    Related,
    /// `GET /healthz`: the process is up.
    Healthz,
    /// `GET /readyz`: the store can answer.
    Readyz,
    /// `GET /metrics`: Prometheus text.
    Metrics,
    /// `GET /openapi.json`: the API's description.
    OpenApi,
    /// `GET /docs` and the files under it: the interactive API reference.
    Docs,
    /// `PATCH`, `DELETE /styles/:style_id`.
    Style,
    /// `POST /styles/:style_id/skus`.
    StyleSkus,
    /// `GET`, `PATCH`, `DELETE /skus/:sku_id`.
    Sku,
    /// `POST /skus/:sku_id/adjustments`.
    SkuAdjustments,
    /// `POST /adjustments`: a batch.
    Adjustments,
    /// `PUT`, `DELETE /products/:product_id/related/:related_id`.
    RelatedLink,
    /// `GET /changes`: the change log.
    Changes,
}

/// Who may call a method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; no credentials are read.
    Public,
    /// A bearer token with a write scope: which scopes, the operation says
    /// (a SKU's size needs `catalog:write`, its quantity `inventory:write`).
    Token,
}

/// One row of the route table.
#[derive(Debug)]
pub struct RouteSpec {
    /// What the path names.
    pub route: Route,
    /// The path pattern, with `{product_id}`, `{style_id}` or `{sku_id}` for
    /// the id segment and `{related_id}` for a second one (matchit syntax).
    pub pattern: &'static str,
    /// The metrics label: bounded, never an id.
    pub label: &'static str,
    /// The methods the route answers besides `HEAD` (answered as `GET`) and
    /// `OPTIONS` (answered for every route), each with who may call it.
    pub methods: &'static [(Method, Access)],
    /// Whether the route belongs to the embeddable catalog routes
    /// ([`routes`](crate::routes)) rather than to the service around them.
    pub catalog: bool,
}

const GET_PUBLIC: &[(Method, Access)] = &[(Method::GET, Access::Public)];
const POST: &[(Method, Access)] = &[(Method::POST, Access::Token)];
const PATCH_DELETE: &[(Method, Access)] = &[(Method::PATCH, Access::Token), (Method::DELETE, Access::Token)];

/// Every route the service answers.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        route: Route::List,
        pattern: "/products",
        label: "list",
        methods: &[(Method::GET, Access::Public), (Method::POST, Access::Token)],
        catalog: true,
    },
    RouteSpec {
        route: Route::Product,
        pattern: "/products/{product_id}",
        label: "product",
        methods: &[
            (Method::GET, Access::Public),
            (Method::PATCH, Access::Token),
            (Method::DELETE, Access::Token),
        ],
        catalog: true,
    },
    RouteSpec {
        route: Route::Styles,
        pattern: "/products/{product_id}/styles",
        label: "styles",
        methods: &[(Method::GET, Access::Public), (Method::POST, Access::Token)],
        catalog: true,
    },
    RouteSpec {
        route: Route::Related,
        pattern: "/products/{product_id}/related",
        label: "related",
        methods: GET_PUBLIC,
        catalog: true,
    },
    RouteSpec {
        route: Route::Healthz,
        pattern: "/healthz",
        label: "healthz",
        methods: GET_PUBLIC,
        catalog: false,
    },
    RouteSpec {
        route: Route::Readyz,
        pattern: "/readyz",
        label: "readyz",
        methods: GET_PUBLIC,
        catalog: false,
    },
    RouteSpec {
        route: Route::Metrics,
        pattern: "/metrics",
        label: "metrics",
        methods: GET_PUBLIC,
        catalog: false,
    },
    RouteSpec {
        route: Route::OpenApi,
        pattern: "/openapi.json",
        label: "openapi",
        methods: GET_PUBLIC,
        catalog: false,
    },
    RouteSpec {
        route: Route::Docs,
        pattern: "/docs",
        label: "docs",
        methods: GET_PUBLIC,
        catalog: false,
    },
    RouteSpec {
        route: Route::Docs,
        pattern: "/docs/{file}",
        label: "docs_asset",
        methods: GET_PUBLIC,
        catalog: false,
    },
    RouteSpec {
        route: Route::RelatedLink,
        pattern: "/products/{product_id}/related/{related_id}",
        label: "related_link",
        methods: &[(Method::PUT, Access::Token), (Method::DELETE, Access::Token)],
        catalog: false,
    },
    RouteSpec {
        route: Route::Style,
        pattern: "/styles/{style_id}",
        label: "style",
        methods: PATCH_DELETE,
        catalog: false,
    },
    RouteSpec {
        route: Route::StyleSkus,
        pattern: "/styles/{style_id}/skus",
        label: "style_skus",
        methods: POST,
        catalog: false,
    },
    RouteSpec {
        route: Route::Sku,
        pattern: "/skus/{sku_id}",
        label: "sku",
        methods: &[
            (Method::GET, Access::Public),
            (Method::PATCH, Access::Token),
            (Method::DELETE, Access::Token),
        ],
        catalog: false,
    },
    RouteSpec {
        route: Route::SkuAdjustments,
        pattern: "/skus/{sku_id}/adjustments",
        label: "sku_adjustments",
        methods: POST,
        catalog: false,
    },
    RouteSpec {
        route: Route::Adjustments,
        pattern: "/adjustments",
        label: "adjustments",
        methods: POST,
        catalog: false,
    },
    RouteSpec {
        route: Route::Changes,
        pattern: "/changes",
        label: "changes",
        methods: &[(Method::GET, Access::Token)],
        catalog: false,
    },
];

/// The metrics label of requests no route matched.
pub const UNMATCHED_LABEL: &str = "other";

/// A path that matched a row of [`ROUTES`], with its id segments, if any.
#[derive(Debug, Clone, Copy)]
pub struct Matched<'path> {
    /// The row that matched.
    pub spec: &'static RouteSpec,
    /// The raw (still percent-encoded) id segment: `{product_id}`,
    /// `{style_id}` or `{sku_id}`.
    pub id: Option<&'path str>,
    /// The raw `{related_id}` segment.
    pub related_id: Option<&'path str>,
}

impl Matched<'_> {
    /// The name of the route's id parameter, for error messages.
    pub fn id_name(&self) -> &'static str {
        match self.spec.route {
            Route::Style | Route::StyleSkus => "style_id",
            Route::Sku | Route::SkuAdjustments => "sku_id",
            _ => "product_id",
        }
    }
}

/// What a method on a matched route comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodOutcome {
    /// Run the route's handler, as `GET` for a `HEAD`, with this access rule.
    Run(Access),
    /// A plain `OPTIONS` (not a CORS preflight): answer with `Allow`.
    Options,
    /// Not a method of the route: 405 with `Allow`.
    NotAllowed,
}

impl RouteSpec {
    /// What `method` on this route comes to.
    pub fn method(&self, method: &Method) -> MethodOutcome {
        let asked = if method == Method::HEAD { &Method::GET } else { method };
        if let Some((_, access)) = self.methods.iter().find(|(allowed, _)| allowed == asked) {
            return MethodOutcome::Run(*access);
        }
        if method == Method::OPTIONS {
            MethodOutcome::Options
        } else {
            MethodOutcome::NotAllowed
        }
    }

    /// The `Allow` header's value: the route's methods, `HEAD` beside `GET`, and `OPTIONS`.
    pub fn allow(&self) -> String {
        let mut names = Vec::new();
        for (method, _) in self.methods {
            names.push(method.as_str());
            if method == Method::GET {
                names.push("HEAD");
            }
        }
        names.push("OPTIONS");
        names.join(", ")
    }
}

/// The row whose pattern `path` matches (one trailing slash ignored, as the
/// original Express API did), with its id segment.
pub fn lookup(path: &str) -> Option<Matched<'_>> {
    static ROUTER: OnceLock<matchit::Router<&'static RouteSpec>> = OnceLock::new();
    let router = ROUTER.get_or_init(|| {
        let mut router = matchit::Router::new();
        for spec in ROUTES {
            router
                .insert(spec.pattern, spec)
                .expect("the route patterns are distinct");
        }
        router
    });
    let path = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => path,
    };
    let found = router.at(path).ok()?;
    let params = &found.params;
    Some(Matched {
        spec: found.value,
        id: params
            .get("product_id")
            .or_else(|| params.get("style_id"))
            .or_else(|| params.get("sku_id")),
        related_id: params.get("related_id"),
    })
}

/// Every method some route allows, for CORS preflights (`HEAD` and `OPTIONS` included).
pub fn all_methods() -> Vec<Method> {
    let mut methods = vec![Method::GET, Method::HEAD, Method::OPTIONS];
    for (method, _) in ROUTES.iter().flat_map(|spec| spec.methods) {
        if !methods.contains(method) {
            methods.push(method.clone());
        }
    }
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route_of(path: &str) -> Option<(Route, Option<&str>)> {
        lookup(path).map(|matched| (matched.spec.route, matched.id))
    }

    #[test]
    fn paths_match_their_rows_with_one_trailing_slash_ignored() {
        assert_eq!(route_of("/products"), Some((Route::List, None)));
        assert_eq!(route_of("/products/"), Some((Route::List, None)));
        assert_eq!(route_of("/products/12"), Some((Route::Product, Some("12"))));
        assert_eq!(route_of("/products/%31/styles/"), Some((Route::Styles, Some("%31"))));
        assert_eq!(route_of("/products/abc/related"), Some((Route::Related, Some("abc"))));
        assert_eq!(route_of("/openapi.json"), Some((Route::OpenApi, None)));
        assert_eq!(
            route_of("/skus/3/adjustments"),
            Some((Route::SkuAdjustments, Some("3")))
        );
        assert_eq!(route_of("/styles/9"), Some((Route::Style, Some("9"))));
        let link = lookup("/products/1/related/2").unwrap();
        assert_eq!(
            (link.spec.route, link.id, link.related_id),
            (Route::RelatedLink, Some("1"), Some("2"))
        );
        for unknown in [
            "/",
            "",
            "/product",
            "/productsx",
            "/products/1/nope",
            "/products//styles",
            "/healthz/x",
            "/products/1//",
        ] {
            assert_eq!(route_of(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn labels_are_distinct_and_never_ids() {
        let labels: std::collections::HashSet<_> = ROUTES.iter().map(|spec| spec.label).collect();
        assert_eq!(labels.len(), ROUTES.len());
        assert!(!labels.contains(UNMATCHED_LABEL));
    }

    #[test]
    fn methods_give_run_options_or_405_with_allow() {
        let styles = lookup("/products/1/styles").unwrap().spec;
        assert_eq!(styles.method(&Method::GET), MethodOutcome::Run(Access::Public));
        assert_eq!(styles.method(&Method::HEAD), MethodOutcome::Run(Access::Public));
        assert_eq!(styles.method(&Method::OPTIONS), MethodOutcome::Options);
        assert_eq!(styles.method(&Method::POST), MethodOutcome::Run(Access::Token));
        assert_eq!(styles.method(&Method::PATCH), MethodOutcome::NotAllowed);
        assert_eq!(styles.allow(), "GET, HEAD, POST, OPTIONS");
        let related = lookup("/products/1/related").unwrap().spec;
        assert_eq!(related.allow(), "GET, HEAD, OPTIONS");
        assert_eq!(
            all_methods(),
            [
                Method::GET,
                Method::HEAD,
                Method::OPTIONS,
                Method::POST,
                Method::PATCH,
                Method::DELETE,
                Method::PUT
            ]
        );
    }
}
