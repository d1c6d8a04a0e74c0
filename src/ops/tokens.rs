//! API tokens: made with a name and a role and shown once (only a SHA-256 is kept), listed,
//! revoked; and checking a presented token. Tokens are 32 random bytes in hex with an
//! `oc_` prefix, so a plain hash is enough (no password stretching needed for random secrets).

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::record;
use super::{OpsError, Result};
use crate::model::{Actor, Role, TokenInfo};
use crate::store::Store;

/// The hex SHA-256 of a token, as stored.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("oc_{}", hex::encode(bytes))
}

/// Makes a token; returns it (the only time it is ever shown).
pub async fn create(
    store: &Store,
    actor: &Actor,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<String> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.@".contains(c));
    if !ok {
        return Err(OpsError::Invalid(format!(
            "token name `{name}`: use 1-64 letters, digits, `-`, `_`, `.` or `@`"
        )));
    }
    let token = new_secret();
    let mut change = store.change(now).await?;
    change.token_create(name, role, &hash(&token)).await?;
    let object = format!("token:{name}");
    let after = json!({ "role": role });
    record(
        &mut change,
        actor,
        "token.create",
        &object,
        None,
        Some(after),
    )
    .await?;
    change.commit().await?;
    Ok(token)
}

/// Every token, newest first (never their secrets).
pub async fn list(store: &Store) -> Result<Vec<TokenInfo>> {
    Ok(store.tokens().await?)
}

/// Revokes a token by name.
pub async fn revoke(store: &Store, actor: &Actor, name: &str, now: DateTime<Utc>) -> Result<()> {
    let mut change = store.change(now).await?;
    if !change.token_revoke(name).await? {
        return Err(OpsError::NotFound(format!("no live token named `{name}`")));
    }
    let object = format!("token:{name}");
    record(&mut change, actor, "token.revoke", &object, None, None).await?;
    change.commit().await?;
    Ok(())
}

/// The actor a presented token stands for, found by the token's [`hash`] (a caller that
/// caches by hash computes it once), or None when it is unknown or revoked.
pub async fn authenticate(
    store: &Store,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Actor>> {
    let found = store.token_by_hash(token_hash, now).await?;
    Ok(found.map(|t| Actor {
        name: t.name,
        role: t.role,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashes_fixed() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert!(a.starts_with("oc_") && a.len() == 67);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
