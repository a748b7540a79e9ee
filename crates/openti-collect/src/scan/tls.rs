//! TLS: a handshake that accepts any certificate (we capture, we do not trust), and the leaf
//! certificate's details via `x509-parser`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use openti_model::observation::{CertName, Seen};
use openti_model::Observation;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

/// The details of a captured certificate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertInfo {
    /// SHA-1 of the DER, lower-case hex.
    pub sha1: String,
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint: String,
    /// Serial number, decimal.
    pub serial_number: Option<String>,
    /// notBefore.
    pub issued: Option<DateTime<Utc>>,
    /// notAfter.
    pub expires: Option<DateTime<Utc>>,
    /// Issuer.
    pub issuer: CertName,
    /// Subject (with SANs).
    pub subject: CertName,
}

impl CertInfo {
    /// The certificate as an observation, seen on `host`:`port` when both are given (chain
    /// certificates carry neither).
    pub fn into_observation(
        self,
        host: Option<String>,
        port: Option<u16>,
        seen: Seen,
    ) -> Observation {
        Observation::Certificate {
            host,
            port,
            sha1: self.sha1,
            fingerprint: Some(self.fingerprint),
            serial_number: self.serial_number,
            issued: self.issued,
            expires: self.expires,
            issuer: Box::new(self.issuer),
            subject: Box::new(self.subject),
            seen,
        }
    }
}

/// Accepts every certificate: the scanner records what it is shown.
#[derive(Debug)]
struct CaptureAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for CaptureAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A client configuration for certificate capture (TLS 1.2 and 1.3, ring provider).
pub fn capture_config() -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(CaptureAny(provider)))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn name(n: &X509Name<'_>) -> CertName {
    let mut c = CertName::default();
    for attr in n.iter_attributes() {
        let Ok(v) = attr.as_str() else { continue };
        let v = Some(v.to_string());
        let oid = attr.attr_type().to_id_string();
        match oid.as_str() {
            "2.5.4.3" => c.common_name = v,
            "2.5.4.10" => c.organization_name = v,
            "2.5.4.11" => c.organization_unit_name = v,
            "2.5.4.6" => c.country = v,
            "2.5.4.8" => c.state = v,
            "2.5.4.7" => c.city = v,
            "2.5.4.5" => c.serial_number = v,
            "2.5.4.42" => c.given_name = v,
            "2.5.4.4" => c.surname = v,
            "2.5.4.17" => c.postal_code = v,
            "2.5.4.9" => c.street = v,
            "1.2.840.113549.1.9.1" => c.email = v,
            _ => {}
        }
    }
    c
}

fn time(t: ASN1Time) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.timestamp(), 0)
}

/// Parses a DER certificate. Only the hashes are guaranteed; the rest is filled when the
/// certificate parses.
pub fn cert_info(der: &[u8]) -> CertInfo {
    let mut info = CertInfo {
        sha1: hex::encode(Sha1::digest(der)),
        fingerprint: hex::encode(Sha256::digest(der)),
        ..CertInfo::default()
    };
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return info;
    };
    info.serial_number = Some(cert.tbs_certificate.serial.to_str_radix(10));
    info.issued = time(cert.validity().not_before);
    info.expires = time(cert.validity().not_after);
    info.issuer = name(cert.issuer());
    info.subject = name(cert.subject());
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for gn in &san.value.general_names {
            match gn {
                GeneralName::DNSName(d) => info.subject.alternate_names.push(d.to_string()),
                GeneralName::IPAddress(b) => {
                    let ip = match b.len() {
                        4 => <[u8; 4]>::try_from(*b).ok().map(std::net::IpAddr::from),
                        16 => <[u8; 16]>::try_from(*b).ok().map(std::net::IpAddr::from),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        info.subject.alternate_names.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    info
}
