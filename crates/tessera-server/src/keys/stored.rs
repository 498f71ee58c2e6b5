//! Signing keys kept in the store, shared by every instance: generated
//! here, encrypted at rest ([`EncryptionKey`]), and moved through
//! next → current → previous → retired.
//!
//! A key is published (in the JWKS, as `next`) at least one JWKS cache
//! period before it may sign, so a resource server never meets a `kid` it
//! could not have fetched yet; a demoted key stays (as `previous`) until the
//! longest-lived token it signed — a refresh token — has expired, plus the
//! leeway. Each change is one conditional transaction in the store, so
//! instances racing to make it make it once; each instance reloads the keys
//! when their `(kid, state)` list changes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use tessera::keys::GeneratedKeyPair;
use tessera::{Algorithm, Clock, Jwk, JwtManager, Key, KeySet};

use super::sealed::EncryptionKey;
use super::{KeysError, SigningKeys};
use crate::boxed::BoxFuture;
use crate::store::{KeyState, RotationOutcome, SigningKeyRecord, Store, StoreError};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// How the keys kept in the store are made and moved on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicy {
    /// The algorithm new keys are made for (`JWT_ALGORITHM`).
    pub algorithm: Algorithm,
    /// How long a new key is published before it may sign: the JWKS cache
    /// period.
    pub publish_for: i64,
    /// How long a demoted key keeps verifying: the longest token lifetime
    /// (`JWT_REFRESH_TOKEN_EXPIRES`, or the access one if longer) plus the
    /// leeway.
    pub keep_previous_for: i64,
    /// Automatic rotation period in days (`TESSERA_KEY_ROTATION_DAYS`); 0 is off.
    pub rotation_days: u32,
}

/// What [`StoredKeys::rotate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// `new` signs from now on; `old` verifies until `old_until`; `next` is
    /// the fresh next key.
    Rotated {
        /// The key that was current.
        old: String,
        /// When the old key stops verifying.
        old_until: i64,
        /// The key that is current now.
        new: String,
        /// The fresh next key.
        next: String,
    },
    /// The next key has not been published long enough; it may sign from `at`.
    NotYet {
        /// The next key.
        next: String,
        /// When it may become current.
        at: i64,
    },
    /// Another instance rotated at the same moment; the keys are as it left them.
    Lost,
}

/// What a key list shows of one key (never the private key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: String,
    /// State.
    pub state: KeyState,
    /// When it was made.
    pub created_at: i64,
    /// When it may sign (next) or did start signing (current, previous).
    pub signs_from: i64,
    /// When a previous key stops verifying.
    pub verifies_until: Option<i64>,
}

/// The keys kept in the store: the [`SigningKeys`] source for an
/// asymmetric `JWT_ALGORITHM` without `JWT_PRIVATE_KEY`.
#[derive(Debug)]
pub struct StoredKeys {
    store: Store,
    encryption: Arc<EncryptionKey>,
    policy: KeyPolicy,
    clock: Arc<dyn Clock>,
    /// The `(kid, state)` list last loaded, and when the next scheduled
    /// change (a previous key's end, an automatic rotation) is due.
    loaded: Mutex<Loaded>,
}

#[derive(Debug, Default)]
struct Loaded {
    fingerprint: Vec<(String, KeyState)>,
    due: Option<i64>,
}

impl StoredKeys {
    /// The keys in `store`, sealed with `encryption`, managed by `policy`.
    pub fn new(
        store: Store,
        encryption: Arc<EncryptionKey>,
        policy: KeyPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        StoredKeys {
            store,
            encryption,
            policy,
            clock,
            loaded: Mutex::new(Loaded::default()),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &KeyPolicy {
        &self.policy
    }

    /// A fresh key pair in `state`, sealed, as a row.
    fn fresh(&self, state: KeyState, now: i64) -> Result<SigningKeyRecord, KeysError> {
        let alg = self.policy.algorithm;
        let pair = GeneratedKeyPair::generate(alg)?;
        let key = Key::from_pem(alg, &pair.private_pem)?;
        let jwk = key.public_jwk().ok_or(KeysError::Generate)?;
        let kid = jwk.thumbprint().ok_or(KeysError::Generate)?;
        let jwk = Jwk {
            kid: Some(kid.clone()),
            ..jwk
        };
        let public_jwk = serde_json::to_string(&jwk).map_err(|_| KeysError::Generate)?;
        let sealed = self
            .encryption
            .seal(&kid, alg.as_str(), pair.private_pem.as_bytes())?;
        Ok(SigningKeyRecord {
            kid,
            alg: alg.as_str().to_owned(),
            state,
            sealed_private_key: sealed,
            public_jwk,
            created_at: now,
            signs_from: match state {
                KeyState::Next => now.saturating_add(self.policy.publish_for),
                _ => now,
            },
            verifies_until: None,
            updated_at: now,
        })
    }

    /// Makes sure there is a current key and a next one (the first start
    /// makes both); whether anything was added. Another instance adding
    /// them at the same moment is fine: the store keeps one of each.
    pub async fn ensure(&self) -> Result<bool, KeysError> {
        let rows = self.store.signing_keys().await?;
        let has = |state| rows.iter().any(|row| row.state == state);
        let now = self.clock.now();
        let mut fresh = Vec::new();
        if !has(KeyState::Current) {
            fresh.push(self.fresh(KeyState::Current, now)?);
        }
        if !has(KeyState::Next) {
            fresh.push(self.fresh(KeyState::Next, now)?);
        }
        if fresh.is_empty() {
            return Ok(false);
        }
        match self.store.insert_signing_keys(&fresh).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// The keys in force, current (the signer) first, then next and the
    /// previous keys still within their time. The current private key is
    /// decrypted, so a wrong `TESSERA_ENCRYPTION_KEY` shows here.
    pub async fn load(&self) -> Result<KeySet, KeysError> {
        let rows = self.store.signing_keys().await?;
        let now = self.clock.now();
        let current = rows
            .iter()
            .find(|row| row.state == KeyState::Current)
            .ok_or(KeysError::NoCurrentKey)?;
        let alg: Algorithm = current.alg.parse().map_err(|_| KeysError::Generate)?;
        let pem = self
            .encryption
            .open(&current.kid, &current.alg, &current.sealed_private_key)?;
        let pem = String::from_utf8(pem).map_err(|_| KeysError::Generate)?;
        let mut set = KeySet::new(Key::from_pem(alg, &pem)?.with_kid(current.kid.clone()));
        let mut due: Option<i64> = self.rotation_due(current);
        for row in &rows {
            let verifies = match row.state {
                KeyState::Next => true,
                KeyState::Previous => row.verifies_until.is_none_or(|until| until > now),
                KeyState::Current | KeyState::Retired => false,
            };
            if row.state == KeyState::Previous
                && let Some(until) = row.verifies_until
            {
                due = Some(due.map_or(until, |due| due.min(until)));
            }
            if !verifies {
                continue;
            }
            let jwk: Jwk =
                serde_json::from_str(&row.public_jwk).map_err(|_| KeysError::Generate)?;
            let key = Key::from_jwk(&jwk, row.alg.parse().ok())?.with_kid(row.kid.clone());
            set = set.with_verification_key(key)?;
        }
        let mut fingerprint: Vec<_> = rows
            .iter()
            .filter(|row| row.state != KeyState::Retired)
            .map(|row| (row.kid.clone(), row.state))
            .collect();
        fingerprint.sort();
        *self.loaded.lock().unwrap_or_else(PoisonError::into_inner) = Loaded { fingerprint, due };
        Ok(set)
    }

    /// When `current` is due for automatic rotation, if that is on.
    fn rotation_due(&self, current: &SigningKeyRecord) -> Option<i64> {
        (self.policy.rotation_days > 0).then(|| {
            current
                .signs_from
                .saturating_add(i64::from(self.policy.rotation_days).saturating_mul(DAY))
        })
    }

    /// Puts the stored keys in force in `jwt` when they changed since the
    /// last load (one small query when they did not); whether they did.
    pub async fn reload_if_changed(&self, jwt: &JwtManager) -> Result<bool, KeysError> {
        let states = self.store.signing_key_states().await?;
        let unchanged = {
            let loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
            loaded.fingerprint == states
        };
        if unchanged {
            return Ok(false);
        }
        jwt.replace_keys(self.load().await?);
        Ok(true)
    }

    /// The scheduled changes that are due: previous keys past their time are
    /// retired, a missing next key is made, and the current key is rotated
    /// when automatic rotation says so. Cheap when nothing is due (no query).
    /// Whether the keys changed.
    pub async fn maintain(&self) -> Result<bool, KeysError> {
        let now = self.clock.now();
        let due = {
            let loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
            let has_next = loaded
                .fingerprint
                .iter()
                .any(|(_, state)| *state == KeyState::Next);
            !has_next || loaded.due.is_some_and(|due| due <= now)
        };
        if !due {
            return Ok(false);
        }
        let mut changed = self.store.retire_expired_signing_keys(now).await? > 0;
        changed |= self.ensure().await?;
        let rows = self.store.signing_keys().await?;
        if let Some(current) = rows.iter().find(|row| row.state == KeyState::Current)
            && self.rotation_due(current).is_some_and(|due| due <= now)
        {
            changed |= matches!(self.rotate().await?, Rotation::Rotated { .. });
        }
        Ok(changed)
    }

    /// Rotates now: the next key becomes current when it has been published
    /// for [`KeyPolicy::publish_for`] (otherwise says when it can), the
    /// current one becomes previous, and a fresh next key is made.
    pub async fn rotate(&self) -> Result<Rotation, KeysError> {
        self.ensure().await?;
        let rows = self.store.signing_keys().await?;
        let now = self.clock.now();
        let find = |state| rows.iter().find(|row| row.state == state);
        let (Some(current), Some(next)) = (find(KeyState::Current), find(KeyState::Next)) else {
            return Ok(Rotation::Lost);
        };
        if next.signs_from > now {
            return Ok(Rotation::NotYet {
                next: next.kid.clone(),
                at: next.signs_from,
            });
        }
        let fresh = self.fresh(KeyState::Next, now)?;
        let old_until = now.saturating_add(self.policy.keep_previous_for);
        match self
            .store
            .rotate_signing_keys(&current.kid, &next.kid, now, old_until, &fresh)
            .await?
        {
            RotationOutcome::Rotated => Ok(Rotation::Rotated {
                old: current.kid.clone(),
                old_until,
                new: next.kid.clone(),
                next: fresh.kid,
            }),
            RotationOutcome::Lost => Ok(Rotation::Lost),
        }
    }

    /// Retires `kid` (a next or previous key; never the current one): it
    /// leaves the JWKS and its tokens stop verifying.
    pub async fn retire(&self, kid: &str) -> Result<(), KeysError> {
        let rows = self.store.signing_keys().await?;
        let Some(row) = rows.iter().find(|row| row.kid == kid) else {
            return Err(KeysError::UnknownKid(kid.to_owned()));
        };
        match row.state {
            KeyState::Current => return Err(KeysError::RetireCurrent(kid.to_owned())),
            KeyState::Retired => return Ok(()),
            KeyState::Next | KeyState::Previous => {}
        }
        if !self.store.retire_signing_key(kid, self.clock.now()).await? {
            // It changed state meanwhile (it became current).
            return Err(KeysError::RetireCurrent(kid.to_owned()));
        }
        Ok(())
    }

    /// Every key, oldest first, without private material.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, KeysError> {
        Ok(self
            .store
            .signing_keys()
            .await?
            .into_iter()
            .map(|row| KeyInfo {
                kid: row.kid,
                alg: row.alg,
                state: row.state,
                created_at: row.created_at,
                signs_from: row.signs_from,
                verifies_until: row.verifies_until,
            })
            .collect())
    }

    /// How many keys are in each state (for a "keys by state" metric).
    pub async fn counts_by_state(&self) -> Result<BTreeMap<KeyState, usize>, KeysError> {
        let mut counts: BTreeMap<KeyState, usize> =
            KeyState::ALL.into_iter().map(|state| (state, 0)).collect();
        for row in self.store.signing_keys().await? {
            *counts.entry(row.state).or_default() += 1;
        }
        Ok(counts)
    }
}

impl SigningKeys for StoredKeys {
    fn key_set(&self) -> BoxFuture<'_, Result<KeySet, KeysError>> {
        Box::pin(async move {
            self.ensure().await?;
            self.load().await
        })
    }
}
