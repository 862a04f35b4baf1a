//! Sign-in with Google and Microsoft Entra ID: the authorization code flow with PKCE (S256), a
//! single-use `state` kept in KV for ten minutes and bound to the starting browser by a
//! `__Host-` pre-auth cookie, and a `nonce` that the ID token must carry back.
//!
//! Each provider has its own callback path, and a callback is accepted only for the provider
//! whose flow created its state (mix-up defence). The code is exchanged server-side through the
//! Workers fetch API, and identity comes from the ID token's claims (`domain::oidc`).

use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RevocationErrorResponseType, Scope, StandardErrorResponse, StandardRevocableToken,
    StandardTokenIntrospectionResponse, StandardTokenResponse, TokenUrl,
    basic::{BasicErrorResponseType, BasicTokenType},
};
use serde::{Deserialize, Serialize};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

use crate::config;
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::oidc::IssuerRule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderId {
    Google,
    Azure,
}

impl ProviderId {
    pub const ALL: [ProviderId; 2] = [ProviderId::Google, ProviderId::Azure];

    pub fn parse(text: &str) -> Option<ProviderId> {
        ProviderId::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderId::Google => "google",
            ProviderId::Azure => "azure",
        }
    }
}

/// A provider with credentials. Endpoint URLs can be overridden by vars so tests can point them
/// at a local OpenID provider.
pub struct Provider {
    pub id: ProviderId,
    pub client_id: String,
    client_secret: String,
    authorize_url: String,
    token_url: String,
    pub issuer: IssuerRule,
    auth_type: AuthType,
}

impl Provider {
    /// The provider's configuration, or `None` when its credentials are missing (disabled).
    pub fn configured(env: &Env, id: ProviderId) -> Option<Provider> {
        let var = |name: &str| config::value(env, name);
        match id {
            ProviderId::Google => Some(Provider {
                id,
                client_id: var("GOOGLE_OAUTH_CLIENT_ID")?,
                client_secret: var("GOOGLE_OAUTH_CLIENT_SECRET")?,
                authorize_url: var("GOOGLE_OAUTH_AUTHORIZE_URL")
                    .unwrap_or_else(|| "https://accounts.google.com/o/oauth2/v2/auth".into()),
                token_url: var("GOOGLE_OAUTH_TOKEN_URL")
                    .unwrap_or_else(|| "https://oauth2.googleapis.com/token".into()),
                issuer: IssuerRule::OneOf(
                    var("GOOGLE_OAUTH_ISSUER")
                        .unwrap_or_else(|| "https://accounts.google.com,accounts.google.com".into())
                        .split(',')
                        .map(|issuer| issuer.trim().to_owned())
                        .collect(),
                ),
                auth_type: AuthType::BasicAuth,
            }),
            ProviderId::Azure => {
                // `common`/`organizations`/`consumers` accept any tenant; a tenant id pins one.
                let tenant = var("AZURE_AD_TENANT_ID").unwrap_or_else(|| "common".into());
                let multi_tenant =
                    matches!(tenant.as_str(), "common" | "organizations" | "consumers");
                let authority = format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0");
                Some(Provider {
                    id,
                    client_id: var("AZURE_AD_CLIENT_ID")?,
                    client_secret: var("AZURE_AD_CLIENT_SECRET")?,
                    authorize_url: var("AZURE_AD_AUTHORIZE_URL")
                        .unwrap_or_else(|| format!("{authority}/authorize")),
                    token_url: var("AZURE_AD_TOKEN_URL")
                        .unwrap_or_else(|| format!("{authority}/token")),
                    issuer: IssuerRule::TenantTemplate {
                        template: var("AZURE_AD_ISSUER_TEMPLATE").unwrap_or_else(|| {
                            "https://login.microsoftonline.com/{tenantid}/v2.0".into()
                        }),
                        required_tenant: (!multi_tenant).then_some(tenant),
                    },
                    auth_type: AuthType::RequestBody,
                })
            }
        }
    }

    fn client(&self, redirect_uri: &str) -> ApiResult<OidcClient> {
        let misconfigured =
            |e: url::ParseError| ApiError::internal(format!("oauth configuration: {e}"));
        Ok(oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_auth_uri(AuthUrl::new(self.authorize_url.clone()).map_err(misconfigured)?)
            .set_token_uri(TokenUrl::new(self.token_url.clone()).map_err(misconfigured)?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(misconfigured)?)
            .set_auth_type(self.auth_type.clone()))
    }

    /// The provider's authorize URL for this login, and the PKCE verifier to keep.
    pub fn authorize(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
    ) -> ApiResult<(String, String)> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_owned();
        let (url, _) = self
            .client(redirect_uri)?
            .authorize_url(move || CsrfToken::new(state))
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .add_extra_param("nonce", nonce)
            .set_pkce_challenge(challenge)
            .url();
        Ok((url.to_string(), verifier.secret().clone()))
    }

    /// Exchanges the code for tokens server-side and returns the ID token.
    pub async fn exchange(
        &self,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &str,
    ) -> ApiResult<String> {
        let failed = |detail: String| ApiError {
            internal_detail: Some(detail),
            ..ApiError::new(
                ErrorKind::Unauthorized,
                "the provider did not confirm the sign-in",
            )
        };
        let response = self
            .client(redirect_uri)?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&fetch_http)
            .await
            .map_err(|e| failed(format!("token exchange with {}: {e}", self.id.as_str())))?;
        response
            .extra_fields()
            .id_token
            .clone()
            .ok_or_else(|| failed("the token response has no id_token".into()))
    }
}

/// The token response of OpenID Connect: OAuth's plus `id_token`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type OidcClient = oauth2::Client<
    StandardErrorResponse<BasicErrorResponseType>,
    StandardTokenResponse<IdTokenField, BasicTokenType>,
    StandardTokenIntrospectionResponse<EmptyExtraTokenFields, BasicTokenType>,
    StandardRevocableToken,
    StandardErrorResponse<RevocationErrorResponseType>,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

#[derive(Debug)]
pub struct FetchError(String);

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchError {}

impl From<worker::Error> for FetchError {
    fn from(error: worker::Error) -> Self {
        FetchError(error.to_string())
    }
}

/// `oauth2`'s HTTP client on the Workers fetch API. Redirects are not followed: a token
/// endpoint has no business redirecting, and following one would be a server-side request forgery.
async fn fetch_http(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, FetchError> {
    let (parts, body) = request.into_parts();
    let headers = Headers::new();
    for (name, value) in &parts.headers {
        let value = value.to_str().map_err(|e| FetchError(e.to_string()))?;
        headers.set(name.as_str(), value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(parts.method.to_string()))
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if !body.is_empty() {
        init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    }
    let mut response = Fetch::Request(Request::new_with_init(&parts.uri.to_string(), &init)?)
        .send()
        .await?;
    let mut builder = oauth2::http::Response::builder().status(response.status_code());
    for (name, value) in response.headers().entries() {
        builder = builder.header(name, value);
    }
    builder
        .body(response.bytes().await?)
        .map_err(|e| FetchError(e.to_string()))
}
