//! Secrets: the auth token and the URL that carries it.
//!
//! Protocol 001 puts the token in the URL's query (`?token=<JWT>`). The original TypeScript
//! client logged that URL, token included. Here the token only exists inside [`AuthToken`] and
//! [`SecretUrl`], whose `Debug` and `Display` print `***` in its place; only the transport
//! reads the real text, through [`SecretUrl::expose`].

mod base64url;

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Query parameters shown as they are wherever a URL is shown. Every other value prints as
/// `***`: a gateway's `sig`, `apikey` or `session` is as secret as a `token`, and a list of
/// secret names would always miss one.
const PUBLIC_PARAMETERS: &[&str] = &["EIO", "transport", "t", "v", "version", "room", "lang"];

/// What a query value must escape: everything but unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `text` as one URL path segment (or query value): everything but unreserved characters
/// percent-encoded, so an id cannot add segments or a query to a URL.
pub(crate) fn escape_component(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// A claim of a JWT's payload, read without checking the signature (that is the server's
/// job): only for telling the client's own echoes apart, never for trust. `None` for a token
/// that is not a JWT. The token and its claims are never logged.
pub(crate) fn jwt_claim(token: &AuthToken, claim: &str) -> Option<serde_json::Value> {
    let payload = token.0.split('.').nth(1)?;
    let bytes = base64url::decode(payload.trim_end_matches('=').as_bytes())?;
    let mut claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes).ok()?;
    claims.remove(claim)
}

/// A JWT's `exp` claim (seconds since the Unix epoch), read without checking the signature:
/// only for telling an expired token's refusal from an unreachable server where the
/// transport cannot say (see `engine::tokens`). `None` for a token that is not a JWT or
/// has no numeric `exp`.
pub(crate) fn jwt_expiry(token: &AuthToken) -> Option<u64> {
    match jwt_claim(token, "exp")? {
        serde_json::Value::Number(exp) => exp
            .as_u64()
            .or_else(|| exp.as_f64().filter(|exp| *exp >= 0.0).map(|exp| exp as u64)),
        _ => None,
    }
}

/// A bearer token. It never prints: `Debug` shows `AuthToken(***)` and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

impl AuthToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token's text, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(***)")
    }
}

impl From<&str> for AuthToken {
    fn from(token: &str) -> Self {
        Self::new(token)
    }
}

impl From<String> for AuthToken {
    fn from(token: String) -> Self {
        Self::new(token)
    }
}

/// A URL that may carry a secret in its query. Printing it shows `token=***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    full: String,
    redacted: String,
}

impl SecretUrl {
    /// Wraps a URL, redacting any sensitive query parameter it already has.
    pub fn new(url: impl Into<String>) -> Self {
        let full = url.into();
        let redacted = redact(&full);
        Self { full, redacted }
    }

    /// `endpoint` with `name=<token>` appended to its query, the token percent-encoded.
    pub fn with_query_token(endpoint: &str, name: &str, token: &AuthToken) -> Self {
        let (base, fragment) = match endpoint.split_once('#') {
            Some((base, fragment)) => (base, Some(fragment)),
            None => (endpoint, None),
        };
        let separator = match base.find('?') {
            None => "?",
            Some(at) if at + 1 == base.len() || base.ends_with('&') => "",
            Some(_) => "&",
        };
        let value = utf8_percent_encode(token.expose(), QUERY_VALUE);
        let mut full = format!("{base}{separator}{name}={value}");
        if let Some(fragment) = fragment {
            full.push('#');
            full.push_str(fragment);
        }
        Self::new(full)
    }

    /// The real URL, token included: for the transport only, never for logs.
    pub fn expose(&self) -> &str {
        &self.full
    }

    /// The URL with secrets replaced by `***`: safe to log.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({:?})", self.redacted)
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

fn redact(url: &str) -> String {
    let Some((base, rest)) = url.split_once('?') else {
        return redact_userinfo(url);
    };
    let base = redact_userinfo(base);
    let (query, fragment) = match rest.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (rest, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if !is_public(name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    let mut redacted = format!("{base}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        redacted.push('#');
        redacted.push_str(fragment);
    }
    redacted
}

fn is_public(name: &str) -> bool {
    PUBLIC_PARAMETERS
        .iter()
        .any(|public| public.eq_ignore_ascii_case(name))
}

/// `scheme://user:password@host/...` without the password.
fn redact_userinfo(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        None => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_print() {
        let token = AuthToken::new("eyJ.secret.sig");
        assert_eq!(format!("{token:?}"), "AuthToken(***)");
    }

    #[test]
    fn urls_carry_the_token_but_print_it_redacted() {
        let token = AuthToken::new("a b+c/secret");
        let url = SecretUrl::with_query_token("ws://h:8000/ws?room=1#x", "token", &token);
        assert_eq!(
            url.expose(),
            "ws://h:8000/ws?room=1&token=a%20b%2Bc%2Fsecret#x"
        );
        assert_eq!(url.to_string(), "ws://h:8000/ws?room=1&token=***#x");
        assert!(!format!("{url:?}").contains("secret"));
        let plain = SecretUrl::with_query_token("ws://h/ws", "token", &token);
        assert_eq!(plain.redacted(), "ws://h/ws?token=***");
    }

    #[test]
    fn urls_given_with_a_token_are_redacted_too() {
        let url = SecretUrl::new("wss://h/ws?Access_Token=abc&EIO=4");
        assert_eq!(url.redacted(), "wss://h/ws?Access_Token=***&EIO=4");
    }

    #[test]
    fn every_query_value_but_known_public_ones_is_redacted() {
        let url = SecretUrl::new("wss://h/ws?apikey=k1&sig=s2&EIO=4&transport=websocket#f");
        assert_eq!(
            url.redacted(),
            "wss://h/ws?apikey=***&sig=***&EIO=4&transport=websocket#f"
        );
    }

    #[test]
    fn a_password_in_the_url_is_redacted() {
        let url = SecretUrl::new("wss://agent:hunter2@chat.example.com/ws?EIO=4");
        assert_eq!(url.redacted(), "wss://agent:***@chat.example.com/ws?EIO=4");
        let bare = SecretUrl::new("ws://agent:hunter2@h");
        assert!(!bare.to_string().contains("hunter2"));
    }
}
