//! Session ids and the tokens that grant access to them.
//!
//! A token is `hex(HMAC-SHA256(secret, "xmarks-session:" + id))`: nothing is stored, any server
//! holding the secret checks any token, and the comparison is in constant time. A team member's
//! token for a team's session is `hex(HMAC(secret, "xmarks-session:" + id + "\n" + member))`,
//! a dot and `hex(member)`: it grants the session and says which member sends its events. A
//! team's invite code is derived the same way from the team's id.

use anyhow::{bail, Context, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

#[derive(Clone)]
pub struct Keys {
    mac: Hmac<Sha256>,
}

impl Keys {
    pub fn new(secret: &[u8]) -> Result<Keys> {
        if secret.len() < 16 {
            bail!("the token secret must be at least 16 bytes");
        }
        Ok(Keys { mac: Hmac::new_from_slice(secret).expect("HMAC takes keys of any length") })
    }

    /// Reads the secret from `file`; without a file, from `data_dir/secret`, created with 32
    /// random bytes on first start so that tokens outlive restarts.
    pub fn load(file: Option<&Path>, data_dir: &Path) -> Result<Keys> {
        if let Some(file) = file {
            let secret = std::fs::read(file).with_context(|| format!("reading the secret {}", file.display()))?;
            return Keys::new(secret.trim_ascii());
        }
        let path = data_dir.join("secret");
        if !path.exists() {
            std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            std::fs::write(&path, hex::encode(bytes)).with_context(|| format!("writing {}", path.display()))?;
        }
        let secret = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        Keys::new(secret.trim_ascii())
    }

    fn mac(&self, id: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(b"xmarks-session:");
        mac.update(id.as_bytes());
        mac
    }

    /// The key a player's data is stored under: a keyed hash of their id, so that the store names
    /// no player in the clear, and an erased player's id is gone from it (see
    /// `Engine::erase_player`).
    pub fn player_key(&self, player: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"xmarks-player:");
        mac.update(player.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The secret salt of the commitments in the hunt view handed out for `id` (a session id, or
    /// a hunt's fingerprint): derived, so that any server can reveal it when the session ends.
    pub fn salt(&self, id: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"xmarks-salt:");
        mac.update(id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn token(&self, id: &str) -> String {
        hex::encode(self.mac(id).finalize().into_bytes())
    }

    /// A team member's token for the team's session `id`.
    pub fn member_token(&self, id: &str, member: &str) -> String {
        let mac = self.mac(&format!("{id}\n{member}")).finalize().into_bytes();
        format!("{}.{}", hex::encode(mac), hex::encode(member))
    }

    /// The member a team member's token for session `id` names, if it is one.
    pub fn verify_member(&self, id: &str, token: &str) -> Option<String> {
        let (mac, member) = token.split_once('.')?;
        let member = String::from_utf8(hex::decode(member).ok()?).ok()?;
        let bytes = hex::decode(mac).ok()?;
        self.mac(&format!("{id}\n{member}")).verify_slice(&bytes).ok()?;
        Some(member)
    }

    /// The invite code of team `team`: `<team>.<16 hex digits>`, checked by [`Keys::invited_to`].
    pub fn invite(&self, team: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"xmarks-invite:");
        mac.update(team.as_bytes());
        format!("{team}.{}", hex::encode(&mac.finalize().into_bytes()[..8]))
    }

    /// The team an invite code is for, if it is one of this server's.
    pub fn invited_to(&self, code: &str) -> Option<String> {
        let (team, _) = code.rsplit_once('.')?;
        // Derived again and compared in constant time: a guessed code is refused.
        let expected = self.invite(team);
        let same =
            expected.len() == code.len() && expected.bytes().zip(code.bytes()).fold(0, |d, (a, b)| d | (a ^ b)) == 0;
        same.then(|| team.to_owned())
    }

    pub fn verify(&self, id: &str, token: &str) -> bool {
        match hex::decode(token) {
            Ok(bytes) => self.mac(id).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

/// The admin API's secret: read from `file`, or from `data_dir/admin-secret`, created with 32
/// random bytes (hex) on first start. Never the token secret: a leaked session token or player
/// key says nothing about it.
pub fn admin_secret(file: Option<&Path>, data_dir: &Path) -> Result<Vec<u8>> {
    let path = match file {
        Some(file) => file.to_path_buf(),
        None => {
            let path = data_dir.join("admin-secret");
            if !path.exists() {
                std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
                write_private(&path, hex::encode(bytes).as_bytes())?;
            }
            path
        }
    };
    let secret = std::fs::read(&path).with_context(|| format!("reading the admin secret {}", path.display()))?;
    let secret = secret.trim_ascii();
    if secret.len() < 32 {
        bail!("admin_secret_file: the admin secret must be at least 32 bytes");
    }
    Ok(secret.to_vec())
}

/// Writes a file only its owner may read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes).with_context(|| format!("writing {}", path.display()))
}

/// A new session id: 128 random bits in hex.
pub fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system has randomness");
    hex::encode(bytes)
}

/// Whether `id` looks like one of ours (32 lowercase hex digits), checked before any lookup.
pub fn is_session_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_session_and_secret() {
        let keys = Keys::new(b"0123456789abcdef0123").unwrap();
        let other = Keys::new(b"another secret of enough bytes").unwrap();
        let id = new_session_id();
        assert!(is_session_id(&id));
        let token = keys.token(&id);
        assert!(keys.verify(&id, &token));
        assert!(!keys.verify(&new_session_id(), &token));
        assert!(!other.verify(&id, &token));
        assert!(!keys.verify(&id, &token[..62]));
        assert!(!keys.verify(&id, "zz"));
        assert!(Keys::new(b"short").is_err());
    }
}
