//! The token of each attempt: asked for, arrived, refused — and, where the transport cannot
//! say why a handshake failed, expired.
//!
//! A refused token is refreshed once, then the client stops `Unauthorized`: never a retry
//! loop. Natively a refusal is an HTTP 401/403 at the handshake, or the backend's own
//! refusal inside its protocol (Socket.IO `44`, ConectCRM's `40` then `41`).
//!
//! Why expiry: a browser's WebSocket does not say why a handshake failed. Protocol 001
//! refuses an expired JWT with HTTP 403; in a browser the refusal looked like an unreachable
//! server, and the client retried with the same expired token until it gave up. A failure the
//! transport cannot explain, while the token's `exp` is past, is taken as the refusal it
//! almost certainly is. The claim is read, not verified (that is the server's job), with a
//! minute's leeway for a clock running ahead of the server's. Only the browser driver gives
//! the wall-clock time this needs: natively the HTTP status says why.
//!
//! The engine's clock is monotonic; `exp` is wall-clock time. The wall-clock time comes with
//! the token ([`Engine::handle_token_at`]) and the expiry becomes an instant of the engine's
//! clock then, so that the engine reads no clock itself.

use web_time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{
    Action, ConnectionError, ConnectionErrorKind, ConnectionId, Detail, Engine, Phase, Status,
    StopReason,
};
use crate::auth::{AuthToken, jwt_expiry};

impl Engine {
    /// The answer to [`Action::RequestToken`]: a token (or `None` for no authentication), or
    /// why there is none. Answers for an abandoned attempt are ignored.
    ///
    /// A driver whose transport cannot see why a handshake failed (a browser's WebSocket)
    /// uses [`handle_token_at`](Self::handle_token_at) instead.
    pub fn handle_token(
        &mut self,
        now: Instant,
        connection: ConnectionId,
        token: Result<Option<AuthToken>, String>,
    ) {
        self.token_arrived(now, None, connection, token);
    }

    /// [`handle_token`](Self::handle_token), with the wall-clock time now, for reading the
    /// token's expiry (a JWT's `exp`, unverified). A handshake that then fails without the
    /// transport saying why (a browser hides HTTP 401/403) while the token has expired, a
    /// minute's leeway aside, counts as a refusal of the credentials
    /// ([`ConnectionErrorKind::TokenExpired`]): one retry with a refreshed token, then
    /// [`Status::Unauthorized`], instead of retrying an expired token until giving up.
    pub fn handle_token_at(
        &mut self,
        now: Instant,
        wall_clock: web_time::SystemTime,
        connection: ConnectionId,
        token: Result<Option<AuthToken>, String>,
    ) {
        self.token_arrived(now, Some(wall_clock), connection, token);
    }

    fn token_arrived(
        &mut self,
        now: Instant,
        wall_clock: Option<web_time::SystemTime>,
        connection: ConnectionId,
        token: Result<Option<AuthToken>, String>,
    ) {
        if !matches!(self.phase, Phase::AwaitingToken { connection: awaited, .. } if awaited == connection)
        {
            return;
        }
        match token {
            Ok(token) => {
                self.token_expired_from = wall_clock
                    .zip(token.as_ref())
                    .and_then(|(wall_clock, token)| expired_from(now, wall_clock, token));
                let dialect = self.protocol.dialect(token);
                let request = dialect.connect_request(&self.config.endpoint);
                tracing::debug!(url = %request.url, "opening");
                self.dialect = Some(dialect);
                self.server_ping = None;
                self.phase = Phase::Opening {
                    connection,
                    deadline: now + self.config.connect_timeout,
                };
                self.actions.push_back(Action::Open {
                    connection,
                    request,
                });
            }
            Err(reason) => self.connection_failed(
                now,
                ConnectionError::with_source(ConnectionErrorKind::TokenUnavailable, Detail(reason)),
            ),
        }
    }

    /// The server refused the credentials: one immediate retry with a refreshed token, then
    /// stop. Never a retry loop. An expired token is the exception: each expiry gets its
    /// refresh (a token refreshed an hour ago may expire during a long outage), and only a
    /// token that was itself the refresh and is already expired stops the client.
    pub(super) fn auth_refused(&mut self, now: Instant, kind: ConnectionErrorKind) {
        let expired = kind == ConnectionErrorKind::TokenExpired;
        let error = ConnectionError::new(kind);
        self.record_failure(&error);
        self.tear_down(now);
        self.set_status(Status::Error(error));
        let refreshed_already = match expired {
            true => self.token_refreshed,
            false => self.auth_refreshed,
        };
        if refreshed_already {
            tracing::warn!("credentials refused after a refresh: unauthorized");
            self.phase = Phase::Stopped;
            self.set_status(Status::Unauthorized);
            self.stopped(StopReason::Unauthorized);
        } else {
            tracing::info!("credentials refused: asking for a fresh token");
            self.auth_refreshed |= !expired;
            self.set_status(Status::Connecting);
            self.request_token(now, true);
        }
    }

    /// Whether `error`, ending an attempt before its socket opened, is best explained by the
    /// token having expired: the transport could not say why (see the module documentation).
    pub(super) fn refused_as_expired(&self, now: Instant, error: &ConnectionError) -> bool {
        matches!(self.phase, Phase::Opening { .. })
            && error.kind() == &ConnectionErrorKind::Transport
            && self
                .token_expired_from
                .is_some_and(|expired| now >= expired)
    }
}

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
