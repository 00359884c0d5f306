//! HS256 tokens, as the real server issues and checks them.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|at| at.as_secs())
        .unwrap_or(0)
}

fn sign(secret: &[u8], user: &str, exp: u64) -> String {
    let claims = Claims {
        sub: user.to_owned(),
        exp,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing cannot fail")
}

/// A token for `user`, valid for an hour, signed with `secret`.
pub fn token_for(secret: &[u8], user: &str) -> String {
    sign(secret, user, now() + 3600)
}

/// A token for `user` that expired an hour ago.
pub fn expired_token(secret: &[u8], user: &str) -> String {
    sign(secret, user, now().saturating_sub(3600))
}

/// The user a valid token names, or `None`.
pub(crate) fn verify(secret: &[u8], token: &str) -> Option<String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
        .ok()
        .map(|data| data.claims.sub)
}
