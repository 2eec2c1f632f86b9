//! Who a player is. The game's own backend vouches for its players with signed tokens (JWT,
//! HS256 or EdDSA, through `jsonwebtoken`); the server takes the player's id and attributes from
//! the token, never from a request's body. In development only (`--insecure-dev-players`), a
//! player is whoever the request says.
//!
//! A token names its key in its header (`kid`), so that a backend can rotate keys: configure the
//! new key beside the old one, sign with the new one, remove the old one once its tokens have
//! expired. Every token must carry `sub` (the player id), `aud` (the configured audience) and
//! `exp`; `nbf` and `iss` are checked when present or configured, with `leeway_s` of clock skew.
//! Optional claims the backend vouches for: `level` (a whole number from 1), `interests` (a
//! weight per site kind) and `team` (a team id); `scope` containing `admin` marks the backend's
//! own token, which may read any player's profile.

use crate::config::{PlayerKey, PlayersConfig};
use crate::engine::ApiError;
use anyhow::{bail, Context, Result};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// What a player's token vouches for.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub id: String,
    pub level: Option<u32>,
    pub interests: Option<BTreeMap<String, f64>>,
    pub team: Option<String>,
    /// The game's backend itself (scope `admin`): may read any player's profile.
    pub admin: bool,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    level: Option<u32>,
    #[serde(default)]
    interests: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    team: Option<String>,
    /// Space-separated, as in OAuth.
    #[serde(default)]
    scope: Option<String>,
}

/// How players are known: by verified tokens, or (development) by what requests say.
pub enum Players {
    Tokens(Verifier),
    Insecure,
}

pub struct Verifier {
    /// By key id: the key, and the validation that goes with its algorithm.
    keys: HashMap<String, (DecodingKey, Validation)>,
    max_token_bytes: usize,
}

fn token_error(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

impl Verifier {
    pub fn new(config: &PlayersConfig) -> Result<Verifier> {
        let mut keys = HashMap::new();
        for (i, key) in config.keys.iter().enumerate() {
            let at = format!("players.keys[{i}]");
            let read = |path: &std::path::Path| {
                std::fs::read(path).with_context(|| format!("{at}: reading {}", path.display()))
            };
            let (decoding, alg) = match key {
                PlayerKey { alg, secret_file: Some(file), public_key_file: None, .. } if alg == "HS256" => {
                    let secret = read(file)?;
                    let secret = secret.trim_ascii();
                    if secret.len() < 32 {
                        bail!("{at}.secret_file: an HS256 secret must be at least 32 bytes");
                    }
                    (DecodingKey::from_secret(secret), Algorithm::HS256)
                }
                PlayerKey { alg, public_key_file: Some(file), secret_file: None, .. } if alg == "EdDSA" => {
                    let pem = read(file)?;
                    let key = DecodingKey::from_ed_pem(&pem)
                        .with_context(|| format!("{at}.public_key_file: not an Ed25519 public key in PEM"))?;
                    (key, Algorithm::EdDSA)
                }
                _ => bail!(
                    "{at}: alg is \"HS256\" with secret_file, or \"EdDSA\" with public_key_file (found {:?})",
                    key.alg
                ),
            };
            let mut validation = Validation::new(alg);
            validation.set_audience(&[&config.audience]);
            if let Some(issuer) = &config.issuer {
                validation.set_issuer(&[issuer]);
            }
            validation.leeway = config.leeway_s;
            validation.validate_nbf = true;
            validation.set_required_spec_claims(&["exp", "sub", "aud"]);
            if keys.insert(key.kid.clone(), (decoding, validation)).is_some() {
                bail!("{at}.kid: {:?} is used twice", key.kid);
            }
        }
        if keys.is_empty() {
            bail!("players.keys: at least one key is needed to verify players' tokens");
        }
        Ok(Verifier { keys, max_token_bytes: config.max_token_bytes })
    }

    /// The identity a token vouches for, or why it does not.
    pub fn verify(&self, token: &str) -> Result<Identity, ApiError> {
        if token.len() > self.max_token_bytes {
            return Err(token_error(
                "token_too_large",
                format!("the player token is {} bytes, at most {}", token.len(), self.max_token_bytes),
            ));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::Json(_) if token.split('.').next().is_some_and(names_no_algorithm) => {
                token_error("token_algorithm", "unsigned tokens (alg \"none\") are refused")
            }
            _ => token_error("token_malformed", format!("the player token is not a JWT: {e}")),
        })?;
        let kid = header.kid.ok_or_else(|| token_error("token_key_unknown", "the player token names no key (kid)"))?;
        let (key, validation) = self
            .keys
            .get(&kid)
            .ok_or_else(|| token_error("token_key_unknown", format!("no player key {kid:?} is configured")))?;
        let data = jsonwebtoken::decode::<Claims>(token, key, validation).map_err(|e| {
            let (code, message) = match e.kind() {
                ErrorKind::ExpiredSignature => ("token_expired", "the player token has expired".to_owned()),
                ErrorKind::ImmatureSignature => ("token_not_yet_valid", "the player token is not valid yet".to_owned()),
                ErrorKind::InvalidSignature => {
                    ("token_signature", "the player token's signature does not verify".to_owned())
                }
                ErrorKind::InvalidAlgorithm => {
                    ("token_algorithm", format!("key {kid:?} does not sign with {:?}", header.alg))
                }
                ErrorKind::InvalidAudience => ("token_audience", "the player token is for another audience".to_owned()),
                ErrorKind::InvalidIssuer => ("token_issuer", "the player token is from another issuer".to_owned()),
                ErrorKind::MissingRequiredClaim(claim) => ("token_claims", format!("the player token has no {claim}")),
                ErrorKind::InvalidClaimFormat(claim) => {
                    ("token_claims", format!("the player token's {claim} is malformed"))
                }
                ErrorKind::Json(json) => ("token_claims", format!("the player token's claims: {json}")),
                _ => ("token_malformed", format!("the player token: {e}")),
            };
            token_error(code, message)
        })?;
        let claims = data.claims;
        check_id(&claims.sub).map_err(|why| token_error("token_claims", format!("sub {why}")))?;
        if claims.level == Some(0) {
            return Err(token_error("token_claims", "level starts at 1"));
        }
        if let Some(interests) = &claims.interests {
            if interests.values().any(|w| !w.is_finite() || *w < 0.0) {
                return Err(token_error("token_claims", "interests are finite weights of 0 or more"));
            }
        }
        let admin = claims.scope.as_deref().is_some_and(|scope| scope.split(' ').any(|s| s == "admin"));
        Ok(Identity { id: claims.sub, level: claims.level, interests: claims.interests, team: claims.team, admin })
    }
}

/// A player id as hunts take it (checked before anything is looked up under it).
pub fn check_id(id: &str) -> Result<(), String> {
    let most = xmarks::limits::MAX_NAME_LEN;
    if id.is_empty() || id.len() > most {
        return Err(format!("must be 1 to {most} bytes"));
    }
    Ok(())
}

/// Whether a JWT's first segment (its header, base64url JSON) says `"alg":"none"`.
fn names_no_algorithm(segment: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|header| header["alg"].as_str().is_some_and(|alg| alg.eq_ignore_ascii_case("none")))
}

impl Players {
    pub fn from_config(config: &PlayersConfig, insecure: bool) -> Result<Players> {
        match (insecure, config.keys.is_empty()) {
            (true, true) => {
                tracing::warn!(
                    "INSECURE: --insecure-dev-players is on: a player is whoever a request says, at any level. \
                     For development only; configure [players] keys for a real game."
                );
                Ok(Players::Insecure)
            }
            (true, false) => bail!("--insecure-dev-players and [players] keys exclude each other: choose one"),
            (false, true) => bail!(
                "players.keys: no key to verify players' tokens with; configure the game backend's keys in \
                 [players], or pass --insecure-dev-players for development"
            ),
            (false, false) => Ok(Players::Tokens(Verifier::new(config)?)),
        }
    }

    pub fn insecure(&self) -> bool {
        matches!(self, Players::Insecure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_none_algorithm_is_recognised_in_a_header() {
        assert!(names_no_algorithm("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"));
        assert!(!names_no_algorithm("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
        assert!(!names_no_algorithm("%%%"));
    }
}
