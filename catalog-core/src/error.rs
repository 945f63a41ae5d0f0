//! Errors of the catalog: what went wrong, for the HTTP layer to map to a status.

/// A request parameter that breaks the contract's rules (the HTTP layer's 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} must be a decimal integer from {min} to {max}, got \"{value}\"")]
pub struct InvalidInput {
    name: &'static str,
    value: String,
    min: i32,
    max: i32,
}

/// How much of an offending value an error message repeats.
const MAX_ECHOED_CHARS: usize = 40;

impl InvalidInput {
    /// Describes parameter `name` whose `value` is not an integer in `min..=max`.
    pub fn new(name: &'static str, value: &str, min: i32, max: i32) -> InvalidInput {
        let mut echoed: String = value.chars().take(MAX_ECHOED_CHARS).collect();
        if echoed.len() < value.len() {
            echoed.push('…');
        }
        InvalidInput {
            name,
            value: echoed,
            min,
            max,
        }
    }

    /// The name of the offending parameter.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Why a [`CatalogStore`](crate::CatalogStore) could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No product has the requested id.
    #[error("product {0} not found")]
    ProductNotFound(i32),
    /// The request breaks the contract's rules.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The store cannot be reached right now (database down, pool exhausted, timeout).
    #[error("the catalog store is unavailable: {0}")]
    Unavailable(String),
    /// A fault inside the store; the message is for logs, not for clients.
    #[error("internal store error: {0}")]
    Internal(String),
}
