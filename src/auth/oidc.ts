/**
 * OpenID Connect sign-in (authorization code flow with PKCE) with openid-client: discovery, the
 * authorization request, and the callback that validates the ID token — issuer, audience, nonce,
 * expiry, and its JWS signature against the provider's JWKS (`enableNonRepudiationChecks`).
 *
 * Key rotation: openid-client keeps the JWKS and refetches it on an unknown `kid` only when the
 * copy is older than 60 s. A provider that rotates and signs with the new key at once would fail
 * sign-ins for up to a minute, so each callback gets a fresh Configuration whose cache is marked
 * old enough that an unknown `kid` refetches. ID tokens arrive over the back channel from the
 * token endpoint, so an attacker cannot use this to make us fetch the JWKS at will.
 */
import * as client from 'openid-client';
import type { ClaimMapping } from './oidc-claims.js';

export interface OidcOptions extends ClaimMapping {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** Default `openid email profile`. */
  scopes: string;
  /** Where the provider sends the browser back: `<public url>/api/v1/auth/oidc/callback`. */
  redirectUrl: string;
  /** Where the provider sends the browser after RP-initiated logout (default: the console). */
  postLogoutRedirectUrl: string;
}

/** What the browser's flow cookie and the server's pending row carry between start and callback. */
export interface FlowSecrets {
  state: string;
  nonce: string;
  verifier: string;
}

const epoch = (): number => Math.floor(Date.now() / 1000);

export class OidcClient {
  private metadata: client.ServerMetadata | undefined;
  private jwks: client.ExportedJWKSCache | undefined;

  constructor(readonly opts: OidcOptions) {}

  /** Discover the provider (cached; a failed discovery is retried on the next sign-in). */
  private async configuration(): Promise<client.Configuration> {
    if (!this.metadata) {
      const insecure = new URL(this.opts.issuer).protocol === 'http:';
      const discovered = await client.discovery(
        new URL(this.opts.issuer),
        this.opts.clientId,
        this.opts.clientSecret,
        undefined,
        insecure ? { execute: [client.allowInsecureRequests] } : undefined,
      );
      this.metadata = discovered.serverMetadata();
    }
    const config = new client.Configuration(this.metadata, this.opts.clientId, this.opts.clientSecret);
    if (new URL(this.opts.issuer).protocol === 'http:') client.allowInsecureRequests(config);
    client.enableNonRepudiationChecks(config);
    return config;
  }

  /** The provider URL to send the browser to, and the secrets to keep until the callback. */
  async start(): Promise<{ url: string; flow: FlowSecrets }> {
    const config = await this.configuration();
    const flow: FlowSecrets = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.opts.redirectUrl,
      scope: this.opts.scopes,
      response_type: 'code',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, flow };
  }

  /** Exchange the code and validate the ID token; returns its claims and the raw token (for logout). */
  async callback(
    currentUrl: URL,
    flow: FlowSecrets,
  ): Promise<{ claims: Record<string, unknown>; idToken: string }> {
    const config = await this.configuration();
    const shifted = this.jwks
      ? { jwks: this.jwks.jwks, uat: Math.min(this.jwks.uat, epoch() - 61) }
      : undefined;
    if (shifted) client.setJwksCache(config, shifted);
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const fresh = client.getJwksCache(config);
    if (fresh && fresh.uat !== shifted?.uat) this.jwks = fresh;
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new Error('the provider returned no ID token');
    return { claims, idToken: tokens.id_token };
  }

  /** RP-initiated logout at the provider, when it supports it (`end_session_endpoint`). */
  async endSessionUrl(idToken: string | null): Promise<string | undefined> {
    const config = await this.configuration();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(config, {
      post_logout_redirect_uri: this.opts.postLogoutRedirectUrl,
      ...(idToken ? { id_token_hint: idToken } : { client_id: this.opts.clientId }),
    }).href;
  }
}
