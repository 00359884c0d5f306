//! When the current attempt's token expires, by its own `exp` claim.
//!
//! Why: a browser's WebSocket does not say why a handshake failed. Protocol 001 refuses an
//! expired JWT with HTTP 403, which natively ends in `Unauthorized` after one try with a
//! refreshed token; in a browser the refusal looked like an unreachable server, and the
//! client retried with the same expired token until it gave up. A failure the transport
//! cannot explain, while the token's `exp` is past, is taken as the refusal it almost
//! certainly is. The claim is read, not verified (that is the server's job), with a minute's
//! leeway for a clock running ahead of the server's.
//!
//! The engine's clock is monotonic; `exp` is wall-clock time. The wall-clock time comes with
//! the token ([`Engine::handle_token_at`](super::Engine::handle_token_at)) and the expiry
//! becomes an instant of the engine's clock then, so that the engine reads no clock itself.

use web_time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::auth::{AuthToken, jwt_expiry};

/// How long past its `exp` a token is still given the benefit of the doubt.
pub(super) const LEEWAY: Duration = Duration::from_secs(60);

/// The instant from which `token` counts as expired, given the wall-clock time `wall_clock`
/// at `now`; `None` when that cannot be known (not a JWT, no `exp`).
pub(super) fn expired_from(
    now: Instant,
    wall_clock: SystemTime,
    token: &AuthToken,
) -> Option<Instant> {
    let exp = UNIX_EPOCH.checked_add(Duration::from_secs(jwt_expiry(token)?))?;
    let expired = exp.checked_add(LEEWAY)?;
    match expired.duration_since(wall_clock) {
        Ok(left) => now.checked_add(left),
        Err(_) => Some(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> AuthToken {
        let payload = data_encoding::BASE64URL_NOPAD.encode(claims.as_bytes());
        AuthToken::new(format!("eyJhbGciOiJIUzI1NiJ9.{payload}.signature"))
    }

    #[test]
    fn the_expiry_is_exp_plus_the_leeway_on_the_engines_clock() {
        let now = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let in_an_hour = jwt(r#"{"sub":"u","exp":1003600}"#);
        assert_eq!(
            expired_from(now, wall, &in_an_hour),
            Some(now + Duration::from_secs(3600) + LEEWAY)
        );
        let half_a_minute_ago = jwt(r#"{"exp":999970}"#);
        assert_eq!(
            expired_from(now, wall, &half_a_minute_ago),
            Some(now + Duration::from_secs(30))
        );
        let an_hour_ago = jwt(r#"{"exp":996400.5}"#);
        assert_eq!(expired_from(now, wall, &an_hour_ago), Some(now));
    }

    #[test]
    fn tokens_without_a_numeric_exp_never_expire_here() {
        let (now, wall) = (Instant::now(), SystemTime::now());
        for token in [
            AuthToken::new("0123456789abcdef0123456789abcdef01234567"),
            jwt(r#"{"sub":"u"}"#),
            jwt(r#"{"exp":"tomorrow"}"#),
            jwt(r#"{"exp":-5}"#),
            AuthToken::new("a.not-base64!.c"),
        ] {
            assert_eq!(expired_from(now, wall, &token), None);
        }
    }
}
