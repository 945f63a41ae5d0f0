//! Raw SQL statements prepared once per connection.
//!
//! diesel never caches the prepared statement of a `sql_query`, since it
//! cannot know whether the text is fixed: every run then costs a Parse round
//! trip and a plan before its Bind and Execute. A write transaction runs
//! several, so that doubled its round trips. [`Prepared`] marks a statement
//! whose SQL text is a constant: diesel-async prepares it once per
//! connection, keyed by its text and bind types, and PostgreSQL replans it by
//! itself when a table it names changes (an import's swap).

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A `sql_query` (with its binds) whose SQL text never changes, safe to keep
/// prepared. Never wrap a statement whose text is built from data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepared<Q>(pub(crate) Q);

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // No static id: the cache key is the SQL text and the bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::Integer;

    use super::*;

    #[test]
    fn a_prepared_statement_is_safe_to_cache_and_keeps_its_sql() {
        let raw = diesel::sql_query("SELECT $1 AS n").bind::<Integer, _>(7);
        assert!(!raw.is_safe_to_cache_prepared(&Pg).expect("a flag"));
        let prepared = Prepared(raw);
        assert!(prepared.is_safe_to_cache_prepared(&Pg).expect("a flag"));
        assert_eq!(
            diesel::debug_query::<Pg, _>(&prepared).to_string(),
            "SELECT $1 AS n -- binds: [7]"
        );
    }
}
