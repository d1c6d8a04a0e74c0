//! Who is asking: the bearer token of a request becomes an [`Authed`] actor (401 when it is
//! missing, unknown or revoked), limited in requests per second per token (429), and each
//! handler asks [`Authed::require`] for its action (403 when the role may not). Tokens not seen
//! lately cost a store lookup, so those lookups are limited per client address (429), and an
//! unknown token is remembered as unknown as long as a known one is trusted. The token never
//! reaches a log: only its name does.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::problem::Problem;
use super::ApiState;
use crate::model::{Action, Actor};
use crate::ops::tokens;

/// Requests per second per key (a token's name, a client address), with bursts of twice that.
pub struct Limiter<K: Hash + Eq + Clone = String> {
    inner: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn per_second(n: u32) -> Limiter<K> {
        let rate = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(n.max(1).saturating_mul(2)).unwrap_or(rate);
        Limiter {
            inner: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        }
    }

    /// Ok, or the seconds to wait.
    fn check(&self, key: &K) -> Result<(), u64> {
        self.inner.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs().max(1)
        })
    }
}

/// Tokens seen lately, so that a burst of requests does not read the store each time. An entry
/// lives [`TOKEN_TTL`]: a token revoked by another process (the CLI) stops working within it;
/// one revoked through this API at once (see [`TokenCache::forget`]).
#[derive(Default)]
pub struct TokenCache {
    /// By hash: the token's actor, or none for a token the store does not know.
    seen: std::sync::Mutex<std::collections::HashMap<String, (Option<Actor>, std::time::Instant)>>,
}

/// How long a checked token is trusted without asking the store again.
pub const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl TokenCache {
    /// What the store said of this token lately: its actor, or none (unknown or revoked).
    fn get(&self, hash: &str) -> Option<Option<Actor>> {
        let seen = self.seen.lock().ok()?;
        let (actor, at) = seen.get(hash)?;
        (at.elapsed() < TOKEN_TTL).then(|| actor.clone())
    }

    fn put(&self, hash: String, actor: Option<Actor>) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() > 10_000 {
                seen.retain(|_, (_, at)| at.elapsed() < TOKEN_TTL);
            }
            seen.insert(hash, (actor, std::time::Instant::now()));
        }
    }

    /// Drops every entry of this token name (it was revoked).
    pub fn forget(&self, name: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.retain(|_, (a, _)| a.as_ref().is_none_or(|a| a.name != name));
        }
    }
}

/// The actor behind a request's bearer token.
#[derive(Debug, Clone)]
pub struct Authed(pub Actor);

impl Authed {
    /// Ok when the role may do `action`; else a 403 naming both.
    pub fn require(&self, action: Action) -> Result<&Actor, Problem> {
        if self.0.role.may(action) {
            Ok(&self.0)
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                format!("the {} role may not do this ({action:?})", self.0.role),
            ))
        }
    }
}

impl FromRequestParts<Arc<ApiState>> for Authed {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiState>,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = |why: &str| Problem::new(StatusCode::UNAUTHORIZED, why.to_string());
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("an `Authorization: Bearer <token>` header is needed"))?;
        let text = value
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not readable text"))?;
        let token = match text.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => {
                t.trim()
            }
            _ => return Err(unauthorized("use `Authorization: Bearer <token>`")),
        };
        let hash = tokens::hash(token);
        let known = match state.tokens.get(&hash) {
            Some(verdict) => verdict,
            None => {
                // A lookup in the store: limited per client address (requests from inside
                // the process, which have none, are not).
                if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
                    let ip: IpAddr = peer.ip();
                    state.lookups.check(&ip).map_err(Problem::too_many)?;
                }
                let a = tokens::authenticate(&state.store, &hash, state.clock.now())
                    .await
                    .map_err(Problem::from)?;
                state.tokens.put(hash, a.clone());
                a
            }
        };
        let actor = known.ok_or_else(|| unauthorized("the token is unknown or revoked"))?;
        state
            .limiter
            .check(&actor.name)
            .map_err(Problem::too_many)?;
        Ok(Authed(actor))
    }
}
