//! Prints each production read statement of the PostgreSQL store as
//! `name<TAB>SQL`, one per line, as diesel generates it: what
//! `scripts/explain-pg.sh` explains.

fn main() {
    for (name, sql) in catalog_pg::statements() {
        println!("{name}\t{sql}");
    }
}
