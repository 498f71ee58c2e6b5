//! The social sign-in settings, read once at start-up.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET` | unset | enable Google (both needed) |
//! | `TESSERA_GOOGLE_ISSUER` | `https://accounts.google.com` | where Google's discovery is read |
//! | `TESSERA_GOOGLE_AUDIENCES` | none | extra client ids accepted in native id_tokens (Android, iOS), comma-separated |
//! | `FACEBOOK_APP_ID`, `FACEBOOK_APP_SECRET` | unset | enable Facebook (both needed) |
//! | `TESSERA_FACEBOOK_DIALOG_URL` | `https://www.facebook.com/v21.0/dialog/oauth` | Facebook's login dialog |
//! | `TESSERA_FACEBOOK_GRAPH_URL` | `https://graph.facebook.com/v21.0` | the Graph API |
//! | `TESSERA_FACEBOOK_ISSUER` | `https://www.facebook.com` | issuer of Limited Login id_tokens |
//! | `TESSERA_OIDC_PROVIDERS` | none | names of generic OpenID providers, comma-separated |
//! | `TESSERA_OIDC_<NAME>_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET` | required per name | the provider and our client there |
//! | `TESSERA_OIDC_<NAME>_SCOPES` | `openid email profile` | scopes asked for |
//! | `TESSERA_OIDC_<NAME>_LABEL` | the name | what the sign-in button says |
//! | `TESSERA_RETURN_TO` | the public URL's origin | where sign-ins may return: origins or URL prefixes, comma-separated |
//! | `TESSERA_OIDC_ALLOW_LOOPBACK_HTTP` | `false` | **development only**: allow `http://` issuers on loopback addresses |
//!
//! Callbacks are `{TESSERA_PUBLIC_URL}/auth/oauth/{provider}/callback`;
//! only configured providers are enabled.

use tessera::env::Env;

use super::return_to::ReturnToAllowlist;
use super::url_rule;

/// Google's issuer as its discovery document spells it.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// The scheme-less spelling Google also puts in `iss` (OpenID Connect Core
/// §3.1.3.7 notes it); accepted only for Google's own issuer.
pub const GOOGLE_ISSUER_BARE: &str = "accounts.google.com";
/// Facebook's login dialog.
pub const FACEBOOK_DIALOG_URL: &str = "https://www.facebook.com/v21.0/dialog/oauth";
/// Facebook's Graph API.
pub const FACEBOOK_GRAPH_URL: &str = "https://graph.facebook.com/v21.0";
/// The issuer of Facebook Limited Login id_tokens.
pub const FACEBOOK_ISSUER: &str = "https://www.facebook.com";
/// Scopes asked of a generic provider unless configured.
pub const DEFAULT_SCOPES: &str = "openid email profile";
/// Longest provider name in `TESSERA_OIDC_PROVIDERS`.
const MAX_NAME_CHARS: usize = 32;

/// A setting that cannot be used; one line naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct SocialConfigError {
    /// The variable to fix.
    pub variable: String,
    /// What is wrong with it.
    pub problem: String,
}

impl SocialConfigError {
    pub(crate) fn new(variable: impl Into<String>, problem: impl Into<String>) -> Self {
        SocialConfigError {
            variable: variable.into(),
            problem: problem.into(),
        }
    }
}

/// A client secret; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        ClientSecret(secret.into())
    }

    /// The secret itself, for the token endpoint.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(..)")
    }
}

/// Which protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Google: OpenID Connect, with its second issuer spelling.
    Google,
    /// Any OpenID Connect provider, by its discovery document.
    Oidc,
}

/// One OpenID Connect provider (Google or generic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// The id in URLs and stored identities (`google`, or the configured name).
    pub id: String,
    /// The sign-in button's text.
    pub label: String,
    /// Google or generic.
    pub kind: ProviderKind,
    /// The issuer, exactly as its discovery document and `iss` spell it.
    pub issuer: String,
    /// Our client id there.
    pub client_id: String,
    /// Our client secret there.
    pub client_secret: ClientSecret,
    /// The scopes asked for, space-separated.
    pub scopes: String,
    /// Further client ids accepted as `aud` in native id_tokens.
    pub extra_audiences: Vec<String>,
}

/// Facebook Login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacebookSettings {
    /// The app id.
    pub app_id: String,
    /// The app secret.
    pub app_secret: ClientSecret,
    /// The login dialog.
    pub dialog_url: String,
    /// The Graph API base.
    pub graph_url: String,
    /// The Limited Login issuer.
    pub issuer: String,
}

/// Every social sign-in setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialSettings {
    /// The OpenID providers, Google first, then in configured order.
    pub oidc: Vec<OidcSettings>,
    /// Facebook, when configured.
    pub facebook: Option<FacebookSettings>,
    /// Where sign-ins may send the browser back to.
    pub return_to: ReturnToAllowlist,
    /// The server's public URL (callbacks hang off it).
    pub public_url: String,
    /// Development only: `http://` issuers on loopback addresses.
    pub allow_loopback_http: bool,
}

impl SocialSettings {
    /// No provider; `return_to` limited to the public URL's origin.
    pub fn none(public_url: &str) -> Result<Self, SocialConfigError> {
        Ok(SocialSettings {
            oidc: Vec::new(),
            facebook: None,
            return_to: ReturnToAllowlist::parse("TESSERA_PUBLIC_URL", public_url)?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            allow_loopback_http: false,
        })
    }

    /// Reads the variables in the module table through `env`; `public_url`
    /// is the server's (`TESSERA_PUBLIC_URL`, already read).
    pub fn from_env<L: Fn(&str) -> Option<String>>(
        env: &Env<L>,
        public_url: &str,
    ) -> Result<Self, SocialConfigError> {
        let invalid = |err: tessera::ConfigError| match err {
            tessera::ConfigError::Invalid { name, problem } => {
                SocialConfigError::new(name, problem)
            }
            other => SocialConfigError::new("TESSERA_OIDC_ALLOW_LOOPBACK_HTTP", other.to_string()),
        };
        let allow_loopback_http = env
            .boolean("TESSERA_OIDC_ALLOW_LOOPBACK_HTTP")
            .map_err(invalid)?
            .unwrap_or(false);
        let mut settings = SocialSettings::none(public_url)?;
        settings.allow_loopback_http = allow_loopback_http;
        if let Some(list) = env.text("TESSERA_RETURN_TO") {
            settings.return_to = ReturnToAllowlist::parse("TESSERA_RETURN_TO", &list)?;
        }
        let reader = Reader {
            env,
            allow_loopback_http,
        };
        if let Some(google) = reader.google()? {
            settings.oidc.push(google);
        }
        for provider in reader.generic()? {
            if settings.oidc.iter().any(|known| known.id == provider.id) {
                return Err(SocialConfigError::new(
                    "TESSERA_OIDC_PROVIDERS",
                    format!("{:?} is named twice (or is google)", provider.id),
                ));
            }
            settings.oidc.push(provider);
        }
        settings.facebook = reader.facebook()?;
        Ok(settings)
    }

    /// The callback URL registered at `provider`.
    pub fn callback_url(&self, provider: &str) -> String {
        format!("{}/auth/oauth/{provider}/callback", self.public_url)
    }
}

struct Reader<'a, L> {
    env: &'a Env<L>,
    allow_loopback_http: bool,
}

impl<L: Fn(&str) -> Option<String>> Reader<'_, L> {
    fn required(&self, name: &str, because: &str) -> Result<String, SocialConfigError> {
        self.env
            .text(name)
            .ok_or_else(|| SocialConfigError::new(name, format!("must be set when {because}")))
    }

    fn issuer(&self, name: &str, url: String) -> Result<String, SocialConfigError> {
        url_rule::check(&url, self.allow_loopback_http)
            .map_err(|problem| SocialConfigError::new(name, problem))?;
        Ok(url)
    }

    fn google(&self) -> Result<Option<OidcSettings>, SocialConfigError> {
        let Some(client_id) = self.env.text("GOOGLE_CLIENT_ID") else {
            for name in [
                "GOOGLE_CLIENT_SECRET",
                "TESSERA_GOOGLE_ISSUER",
                "TESSERA_GOOGLE_AUDIENCES",
            ] {
                if self.env.text(name).is_some() {
                    return Err(SocialConfigError::new(
                        "GOOGLE_CLIENT_ID",
                        format!("must be set when {name} is (Google sign-in needs both)"),
                    ));
                }
            }
            return Ok(None);
        };
        let secret = self.required("GOOGLE_CLIENT_SECRET", "GOOGLE_CLIENT_ID is")?;
        let issuer = self.issuer(
            "TESSERA_GOOGLE_ISSUER",
            self.env
                .text("TESSERA_GOOGLE_ISSUER")
                .unwrap_or_else(|| GOOGLE_ISSUER.to_owned()),
        )?;
        Ok(Some(OidcSettings {
            id: "google".to_owned(),
            label: "Google".to_owned(),
            kind: ProviderKind::Google,
            issuer,
            client_id,
            client_secret: ClientSecret::new(secret),
            scopes: DEFAULT_SCOPES.to_owned(),
            extra_audiences: list(self.env.text("TESSERA_GOOGLE_AUDIENCES").as_deref()),
        }))
    }

    fn generic(&self) -> Result<Vec<OidcSettings>, SocialConfigError> {
        let mut providers = Vec::new();
        for name in list(self.env.text("TESSERA_OIDC_PROVIDERS").as_deref()) {
            let id = name.to_ascii_lowercase();
            let valid = id.chars().count() <= MAX_NAME_CHARS
                && id.starts_with(|c: char| c.is_ascii_lowercase())
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid || id == "facebook" {
                return Err(SocialConfigError::new(
                    "TESSERA_OIDC_PROVIDERS",
                    format!(
                        "{name:?} must be a letter then letters, digits or _ (at most {MAX_NAME_CHARS}), and not facebook"
                    ),
                ));
            }
            let prefix = format!("TESSERA_OIDC_{}", id.to_ascii_uppercase());
            let var = |suffix: &str| format!("{prefix}_{suffix}");
            let because = format!("{name} is in TESSERA_OIDC_PROVIDERS");
            let issuer_var = var("ISSUER");
            let issuer = self.issuer(&issuer_var, self.required(&issuer_var, &because)?)?;
            providers.push(OidcSettings {
                label: self.env.text(&var("LABEL")).unwrap_or_else(|| name.clone()),
                kind: ProviderKind::Oidc,
                issuer,
                client_id: self.required(&var("CLIENT_ID"), &because)?,
                client_secret: ClientSecret::new(self.required(&var("CLIENT_SECRET"), &because)?),
                scopes: self
                    .env
                    .text(&var("SCOPES"))
                    .unwrap_or_else(|| DEFAULT_SCOPES.to_owned()),
                extra_audiences: Vec::new(),
                id,
            });
        }
        Ok(providers)
    }

    fn facebook(&self) -> Result<Option<FacebookSettings>, SocialConfigError> {
        let Some(app_id) = self.env.text("FACEBOOK_APP_ID") else {
            if self.env.text("FACEBOOK_APP_SECRET").is_some() {
                return Err(SocialConfigError::new(
                    "FACEBOOK_APP_ID",
                    "must be set when FACEBOOK_APP_SECRET is (Facebook sign-in needs both)",
                ));
            }
            return Ok(None);
        };
        let secret = self.required("FACEBOOK_APP_SECRET", "FACEBOOK_APP_ID is")?;
        let url = |name: &str, default: &str| {
            self.issuer(
                name,
                self.env.text(name).unwrap_or_else(|| default.to_owned()),
            )
        };
        Ok(Some(FacebookSettings {
            app_id,
            app_secret: ClientSecret::new(secret),
            dialog_url: url("TESSERA_FACEBOOK_DIALOG_URL", FACEBOOK_DIALOG_URL)?,
            graph_url: url("TESSERA_FACEBOOK_GRAPH_URL", FACEBOOK_GRAPH_URL)?,
            issuer: url("TESSERA_FACEBOOK_ISSUER", FACEBOOK_ISSUER)?,
        }))
    }
}

/// The non-empty items of a comma-separated list.
fn list(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PUBLIC: &str = "https://auth.example.com";

    fn read(vars: &[(&str, &str)]) -> Result<SocialSettings, SocialConfigError> {
        let env = Env::new(|name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        });
        SocialSettings::from_env(&env, PUBLIC)
    }

    fn error(vars: &[(&str, &str)]) -> String {
        read(vars).unwrap_err().to_string()
    }

    #[test]
    fn nothing_configured_enables_nothing() {
        let settings = read(&[]).unwrap();
        assert!(settings.oidc.is_empty());
        assert!(settings.facebook.is_none());
        assert!(settings.return_to.allows("https://auth.example.com/app"));
        assert!(!settings.return_to.allows("https://evil.example/app"));
    }

    #[test]
    fn google_needs_id_and_secret_and_defaults_its_issuer() {
        let google = read(&[
            ("GOOGLE_CLIENT_ID", "web-id"),
            ("GOOGLE_CLIENT_SECRET", "s3cret"),
            ("TESSERA_GOOGLE_AUDIENCES", "android-id, ios-id"),
        ])
        .unwrap()
        .oidc
        .remove(0);
        assert_eq!(google.id, "google");
        assert_eq!(google.issuer, GOOGLE_ISSUER);
        assert_eq!(google.kind, ProviderKind::Google);
        assert_eq!(google.extra_audiences, ["android-id", "ios-id"]);
        assert!(!format!("{google:?}").contains("s3cret"));
        assert_eq!(
            error(&[("GOOGLE_CLIENT_ID", "web-id")]),
            "GOOGLE_CLIENT_SECRET: must be set when GOOGLE_CLIENT_ID is"
        );
        assert!(error(&[("GOOGLE_CLIENT_SECRET", "s")]).starts_with("GOOGLE_CLIENT_ID: "));
    }

    #[test]
    fn generic_providers_read_their_own_variables() {
        let settings = read(&[
            ("TESSERA_OIDC_PROVIDERS", "Corp, gitlab"),
            ("TESSERA_OIDC_CORP_ISSUER", "https://id.corp.example"),
            ("TESSERA_OIDC_CORP_CLIENT_ID", "tessera"),
            ("TESSERA_OIDC_CORP_CLIENT_SECRET", "x"),
            ("TESSERA_OIDC_CORP_LABEL", "Corporate login"),
            ("TESSERA_OIDC_GITLAB_ISSUER", "https://gitlab.com"),
            ("TESSERA_OIDC_GITLAB_CLIENT_ID", "id"),
            ("TESSERA_OIDC_GITLAB_CLIENT_SECRET", "y"),
            ("TESSERA_OIDC_GITLAB_SCOPES", "openid email"),
        ])
        .unwrap();
        let ids: Vec<_> = settings.oidc.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["corp", "gitlab"]);
        assert_eq!(settings.oidc[0].label, "Corporate login");
        assert_eq!(settings.oidc[0].scopes, DEFAULT_SCOPES);
        assert_eq!(settings.oidc[1].label, "gitlab");
        assert_eq!(settings.oidc[1].scopes, "openid email");
        assert_eq!(
            error(&[
                ("TESSERA_OIDC_PROVIDERS", "corp"),
                ("TESSERA_OIDC_CORP_ISSUER", "https://id.corp.example"),
            ]),
            "TESSERA_OIDC_CORP_CLIENT_ID: must be set when corp is in TESSERA_OIDC_PROVIDERS"
        );
        assert!(
            error(&[("TESSERA_OIDC_PROVIDERS", "no spaces")])
                .starts_with("TESSERA_OIDC_PROVIDERS: ")
        );
    }

    #[test]
    fn plain_http_issuers_need_loopback_and_the_development_switch() {
        let vars = |issuer: &'static str, allow: &'static str| {
            vec![
                ("TESSERA_OIDC_PROVIDERS", "dev"),
                ("TESSERA_OIDC_DEV_ISSUER", issuer),
                ("TESSERA_OIDC_DEV_CLIENT_ID", "id"),
                ("TESSERA_OIDC_DEV_CLIENT_SECRET", "s"),
                ("TESSERA_OIDC_ALLOW_LOOPBACK_HTTP", allow),
            ]
        };
        assert!(read(&vars("http://127.0.0.1:9000", "true")).is_ok());
        assert!(
            error(&vars("http://127.0.0.1:9000", "false")).starts_with("TESSERA_OIDC_DEV_ISSUER: ")
        );
        assert!(error(&vars("http://id.example", "true")).starts_with("TESSERA_OIDC_DEV_ISSUER: "));
    }

    #[test]
    fn return_to_lists_origins_and_prefixes() {
        let settings = read(&[(
            "TESSERA_RETURN_TO",
            "https://app.example.com, https://www.example.com/account/",
        )])
        .unwrap();
        assert!(settings.return_to.allows("https://app.example.com/done"));
        assert!(
            settings
                .return_to
                .allows("https://www.example.com/account/x")
        );
        assert!(!settings.return_to.allows("https://www.example.com/other"));
        assert!(
            error(&[("TESSERA_RETURN_TO", "app.example.com")]).starts_with("TESSERA_RETURN_TO: ")
        );
    }
}
