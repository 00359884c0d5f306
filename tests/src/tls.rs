//! TLS for the reference server: a self-signed certificate for `localhost` and 127.0.0.1,
//! made at start-up, so that `wss://` is tested end to end with no files and no network.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A server identity: the acceptor, and the certificate clients must trust.
pub(crate) struct Identity {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) certificate: Vec<u8>,
}

pub(crate) fn self_signed() -> Identity {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let generated = rcgen::generate_simple_self_signed(names).expect("rcgen makes a certificate");
    let certificate = generated.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(certificate.clone())], key)
        .expect("the generated key matches its certificate");
    Identity {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        certificate,
    }
}
