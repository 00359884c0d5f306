//! HS256 tokens, as the real server issues and checks them, and as the replicas run as child
//! processes check them ([`TokenSecret`]).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
}

pub(crate) fn now() -> u64 {
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
    sign_claims(secret, &claims)
}

/// An HS256 JWT of `claims` signed with `secret`.
fn sign_claims(secret: &[u8], claims: &impl Serialize) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
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

/// The secret a replica run as a child process checks its tokens with: made fresh for each
/// server, handed to it as `--secret`, and used here to sign the tokens its tests present.
pub(crate) struct TokenSecret(String);

impl TokenSecret {
    /// A fresh secret for the `server` replica.
    pub(crate) fn new(server: &str) -> Self {
        Self(format!("{server}-test-secret-{}", fastrand::u64(..)))
    }

    /// The server's command-line arguments that hand it the secret.
    pub(crate) fn args(&self) -> [String; 2] {
        ["--secret".into(), self.0.clone()]
    }

    /// A token of `claims(exp)` with `exp` an hour from now.
    pub(crate) fn valid(&self, claims: impl FnOnce(u64) -> Value) -> String {
        sign_claims(self.0.as_bytes(), &claims(now() + 3600))
    }

    /// A token of `claims(exp)` with `exp` an hour ago.
    pub(crate) fn expired(&self, claims: impl FnOnce(u64) -> Value) -> String {
        sign_claims(self.0.as_bytes(), &claims(now().saturating_sub(3600)))
    }
}
