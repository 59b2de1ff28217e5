//! DKIM private keys: read from a key file, made new by `verdict dkim keygen`,
//! and their public halves as DNS publishes them. Signing is AWS-LC's
//! (constant-time RSA and Ed25519); docs/BENCHMARKS.md says why.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

use crate::project::config::DkimAlgorithm;

/// The smallest RSA key verdict signs with (RFC 8301 asks signers for 2048 bits).
pub const MIN_RSA_BITS: usize = 2048;

/// A private signing key, parsed once.
pub struct PrivateKey {
    pair: Pair,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// Why a key file holds no usable key; the text completes "the DKIM key FILE ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("is not a private key in PEM (PKCS#8 or PKCS#1) nor the base64 of an Ed25519 key")]
    Unreadable,
    #[error("is a public key; key_file names the private key")]
    Public,
    #[error("is neither an RSA nor an Ed25519 key (DKIM signs with those two)")]
    Ec,
    #[error(
        "is an RSA key under {MIN_RSA_BITS} bits, too weak to sign with (RFC 8301 asks for {MIN_RSA_BITS})"
    )]
    RsaTooSmall,
    #[error("cannot be used: {0}")]
    Rejected(String),
    #[error("could not be made: {0}")]
    Generate(String),
}

impl PrivateKey {
    /// Reads a key file's text: PEM PKCS#8 (RSA or Ed25519), PEM PKCS#1 (RSA),
    /// or one line of base64 holding an Ed25519 key's 32 bytes.
    pub fn parse(text: &[u8]) -> Result<PrivateKey, KeyError> {
        let trimmed = text.trim_ascii();
        if !trimmed.starts_with(b"-----BEGIN") {
            let seed = BASE64_STANDARD
                .decode(trimmed)
                .map_err(|_| KeyError::Unreadable)?;
            if seed.len() != 32 {
                return Err(KeyError::Unreadable);
            }
            return Ed25519KeyPair::from_seed_unchecked(&seed)
                .map(|pair| PrivateKey {
                    pair: Pair::Ed25519(pair),
                })
                .map_err(|e| KeyError::Rejected(e.to_string()));
        }
        let der = match PrivateKeyDer::from_pem_slice(trimmed) {
            Ok(der) => der,
            Err(_) if memchr::memmem::find(trimmed, b"PUBLIC KEY-----").is_some() => {
                return Err(KeyError::Public);
            }
            Err(_) => return Err(KeyError::Unreadable),
        };
        let pair = match &der {
            PrivateKeyDer::Pkcs1(der) => {
                Pair::Rsa(RsaKeyPair::from_der(der.secret_pkcs1_der()).map_err(rsa_rejected)?)
            }
            PrivateKeyDer::Pkcs8(der) => {
                let bytes = der.secret_pkcs8_der();
                match RsaKeyPair::from_pkcs8(bytes) {
                    Ok(pair) => Pair::Rsa(pair),
                    Err(rsa) if rsa.description_() == "TooSmall" => return Err(rsa_rejected(rsa)),
                    Err(_) => match Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes) {
                        Ok(pair) => Pair::Ed25519(pair),
                        Err(_) => return Err(KeyError::Ec),
                    },
                }
            }
            PrivateKeyDer::Sec1(_) => return Err(KeyError::Ec),
            _ => return Err(KeyError::Unreadable),
        };
        Ok(PrivateKey { pair })
    }

    /// A new key: RSA of 2048 bits or Ed25519.
    pub fn generate(algorithm: DkimAlgorithm) -> Result<PrivateKey, KeyError> {
        let failed = |e: aws_lc_rs::error::Unspecified| KeyError::Generate(e.to_string());
        let pair = match algorithm {
            DkimAlgorithm::Rsa => {
                Pair::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?)
            }
            DkimAlgorithm::Ed25519 => Pair::Ed25519(Ed25519KeyPair::generate().map_err(failed)?),
        };
        Ok(PrivateKey { pair })
    }

    pub fn algorithm(&self) -> DkimAlgorithm {
        match self.pair {
            Pair::Rsa(_) => DkimAlgorithm::Rsa,
            Pair::Ed25519(_) => DkimAlgorithm::Ed25519,
        }
    }

    /// The key's size in bits.
    pub fn bits(&self) -> usize {
        match &self.pair {
            Pair::Rsa(pair) => pair.public_modulus_len() * 8,
            Pair::Ed25519(_) => 256,
        }
    }

    /// The public key as the `p=` tag carries it (RFC 6376 3.6.1, RFC 8463 4):
    /// the DER SubjectPublicKeyInfo for RSA, the 32 raw bytes for Ed25519.
    pub fn public_key(&self) -> Result<Vec<u8>, KeyError> {
        match &self.pair {
            Pair::Rsa(pair) => {
                let der: PublicKeyX509Der<'static> = pair
                    .public_key()
                    .as_der()
                    .map_err(|e| KeyError::Rejected(e.to_string()))?;
                Ok(der.as_ref().to_vec())
            }
            Pair::Ed25519(pair) => Ok(pair.public_key().as_ref().to_vec()),
        }
    }

    /// The key as a PKCS#8 PEM file, which OpenSSL and other tools read too.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        let der: Pkcs8V1Der<'static> = match &self.pair {
            Pair::Rsa(pair) => pair.as_der(),
            Pair::Ed25519(pair) => pair.as_der(),
        }
        .map_err(|e| KeyError::Rejected(e.to_string()))?;
        let encoded = BASE64_STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        Ok(pem)
    }

    /// Signs DKIM's canonical header data: RSASSA-PKCS1-v1_5 with SHA-256
    /// (rsa-sha256), or Ed25519 over the data's SHA-256 (ed25519-sha256, RFC 8463).
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    data,
                    &mut signature,
                )
                .map_err(|e| KeyError::Rejected(e.to_string()))?;
                Ok(signature)
            }
            Pair::Ed25519(pair) => Ok(pair.sign(&Sha256::digest(data)).as_ref().to_vec()),
        }
    }
}

/// Names an RSA key's rejection, "too small" apart.
fn rsa_rejected(rejected: aws_lc_rs::error::KeyRejected) -> KeyError {
    if rejected.description_() == "TooSmall" {
        KeyError::RsaTooSmall
    } else {
        KeyError::Rejected(rejected.to_string())
    }
}

impl fmt::Debug for PrivateKey {
    /// Never the key itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey({:?}, {} bits)",
            self.algorithm(),
            self.bits()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(label: &str, der: &[u8]) -> String {
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            BASE64_STANDARD.encode(der)
        )
    }

    #[test]
    fn keys_made_here_read_back_as_the_same_key() {
        for algorithm in [DkimAlgorithm::Rsa, DkimAlgorithm::Ed25519] {
            let key = PrivateKey::generate(algorithm).unwrap();
            let read = PrivateKey::parse(key.to_pem().unwrap().as_bytes()).unwrap();
            assert_eq!(read.algorithm(), algorithm);
            assert_eq!(read.public_key().unwrap(), key.public_key().unwrap());
            let signature_len = match algorithm {
                DkimAlgorithm::Rsa => 256,
                DkimAlgorithm::Ed25519 => 64,
            };
            assert_eq!(read.sign(b"data").unwrap().len(), signature_len);
        }
    }

    #[test]
    fn what_is_not_a_signing_key_is_named() {
        let ec = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
        assert_eq!(
            PrivateKey::parse(pem("PRIVATE KEY", ec.as_ref()).as_bytes()).unwrap_err(),
            KeyError::Ec
        );
        assert_eq!(
            PrivateKey::parse(pem("EC PRIVATE KEY", b"\x30\x03\x02\x01\x01").as_bytes())
                .unwrap_err(),
            KeyError::Ec
        );
        assert_eq!(
            PrivateKey::parse(pem("PUBLIC KEY", b"\x30\x00").as_bytes()).unwrap_err(),
            KeyError::Public
        );
        assert_eq!(
            PrivateKey::parse(b"not a key").unwrap_err(),
            KeyError::Unreadable
        );
        assert_eq!(
            PrivateKey::parse(BASE64_STANDARD.encode([7u8; 31]).as_bytes()).unwrap_err(),
            KeyError::Unreadable
        );
        let seed = PrivateKey::parse(BASE64_STANDARD.encode([7u8; 32]).as_bytes()).unwrap();
        assert_eq!(seed.algorithm(), DkimAlgorithm::Ed25519);
        assert!(format!("{seed:?}").contains("Ed25519, 256 bits"));
    }
}
