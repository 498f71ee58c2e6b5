//! The configured sign-in providers, by id.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{FacebookProvider, IdentityProvider};

/// Two providers were given the same id.
#[derive(Debug, thiserror::Error)]
#[error("two sign-in providers have the id {0:?}")]
pub struct DuplicateProvider(pub String);

/// The sign-in providers in force, by id (empty when none is configured).
#[derive(Debug, Default, Clone)]
pub struct Providers {
    by_id: BTreeMap<String, Arc<dyn IdentityProvider>>,
    /// Facebook again, typed: its access-token sign-in is its own.
    facebook: Option<Arc<FacebookProvider>>,
}

impl Providers {
    /// No providers.
    pub fn new() -> Self {
        Providers::default()
    }

    /// Adds `provider`; its id must be new.
    pub fn add(&mut self, provider: Arc<dyn IdentityProvider>) -> Result<(), DuplicateProvider> {
        let id = provider.id().to_owned();
        if self.by_id.contains_key(&id) {
            return Err(DuplicateProvider(id));
        }
        self.by_id.insert(id, provider);
        Ok(())
    }

    /// Adds Facebook (id `facebook`, which must be new).
    pub fn add_facebook(
        &mut self,
        facebook: Arc<FacebookProvider>,
    ) -> Result<(), DuplicateProvider> {
        self.add(Arc::clone(&facebook) as Arc<dyn IdentityProvider>)?;
        self.facebook = Some(facebook);
        Ok(())
    }

    /// Facebook, when configured.
    pub fn facebook(&self) -> Option<&Arc<FacebookProvider>> {
        self.facebook.as_ref()
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn IdentityProvider>> {
        self.by_id.get(id)
    }

    /// Every provider, in id order (for a sign-in page).
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn IdentityProvider>> {
        self.by_id.values()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use super::{DuplicateProvider, Providers};
    use crate::boxed::BoxFuture;
    use crate::oauth::{
        AuthorizationRequest, FlowParams, IdentityProvider, NativeSignIn, ProviderError,
        VerifiedIdentity,
    };

    /// Only an id: the registry never calls the provider.
    #[derive(Debug)]
    struct Named(&'static str);

    impl IdentityProvider for Named {
        fn id(&self) -> &str {
            self.0
        }

        fn display_name(&self) -> &str {
            self.0
        }

        fn authorization_request<'a>(
            &'a self,
            _: &'a FlowParams,
        ) -> BoxFuture<'a, Result<AuthorizationRequest, ProviderError>> {
            Box::pin(std::future::ready(Err(ProviderError::Rejected(
                "test".to_owned(),
            ))))
        }

        fn exchange<'a>(
            &'a self,
            _: &'a FlowParams,
            _: &'a str,
            _: Option<&'a str>,
        ) -> BoxFuture<'a, Result<VerifiedIdentity, ProviderError>> {
            Box::pin(std::future::ready(Err(ProviderError::Rejected(
                "test".to_owned(),
            ))))
        }

        fn verify_native<'a>(
            &'a self,
            _: NativeSignIn<'a>,
        ) -> BoxFuture<'a, Result<VerifiedIdentity, ProviderError>> {
            Box::pin(std::future::ready(Err(ProviderError::Rejected(
                "test".to_owned(),
            ))))
        }
    }

    #[test]
    fn providers_are_found_by_id_listed_in_id_order_and_ids_are_unique() {
        let mut providers = Providers::new();
        assert!(providers.is_empty());
        providers.add(Arc::new(Named("google"))).unwrap();
        providers.add(Arc::new(Named("facebook"))).unwrap();
        let err = providers.add(Arc::new(Named("google"))).unwrap_err();
        assert!(matches!(err, DuplicateProvider(id) if id == "google"));
        assert_eq!(providers.get("google").unwrap().id(), "google");
        assert!(providers.get("github").is_none());
        let ids: Vec<_> = providers.iter().map(|provider| provider.id()).collect();
        assert_eq!(ids, ["facebook", "google"]);
    }

    #[test]
    fn flow_params_debug_shows_no_secret_values() {
        let flow = FlowParams {
            redirect_uri: "https://app.test/callback".to_owned(),
            state: "state-value".to_owned(),
            nonce: "nonce-value".to_owned(),
            pkce_verifier: "verifier-value".to_owned(),
        };
        let shown = format!("{flow:?}");
        assert!(!shown.contains("-value"), "{shown}");
    }
}
