//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the folders' files, and
//! cargo would not otherwise look at a new one.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
