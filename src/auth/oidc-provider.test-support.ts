/**
 * A real OpenID provider for tests: `oidc-provider` (a certified implementation) on loopback with
 * a client registered for Tsunagu, driven through its login and consent pages with plain HTTP
 * and a cookie jar, the way a browser would.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  email: string;
  groups: string[];
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Serve new signing keys (the previous one stays published, as providers do during rotation). */
  rotateKeys(): void;
  /** The `kid` ID tokens are signed with now. */
  currentKid(): string;
  close(): Promise<void>;
}

const newKey = (): Record<string, unknown> => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(6).toString('hex'),
    use: 'sig',
    alg: 'RS256',
  };
};

export async function startTestProvider(
  redirectUri: string,
  postLogoutUri: string,
  accounts: Record<string, TestAccount>,
): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'tsunagu';
  const clientSecret = randomBytes(24).toString('base64url');
  let keys = [newKey()];
  let handler: ReturnType<Provider['callback']> | undefined;
  const build = (): void => {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: [redirectUri],
          post_logout_redirect_uris: [postLogoutUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: keys },
      pkce: { required: () => true },
      scopes: ['openid', 'email', 'profile', 'groups'],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      findAccount: (_ctx, id) => {
        const a = accounts[id];
        if (!a) return undefined;
        return {
          accountId: id,
          claims: () => ({ sub: id, email: a.email, email_verified: true, name: id, groups: a.groups }),
        };
      },
    });
    handler = provider.callback();
  };
  build();
  server.on('request', (req, res) => void handler!(req, res));
  return {
    issuer,
    clientId,
    clientSecret,
    rotateKeys() {
      keys = [newKey(), ...keys];
      build();
    },
    currentKid: () => String(keys[0]!.kid),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser's cookie jar and redirect handling, enough for the provider's pages. */
export class Browser {
  private readonly jar = new Map<string, string>();

  async get(url: string): Promise<Response> {
    return this.send(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>): Promise<Response> {
    return this.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Follow redirects at the provider until one leaves `origin`; returns that URL. */
  async followUntilLeaving(
    origin: string,
    first: Response,
    base: string,
  ): Promise<{ url?: string; page?: Response; at: string }> {
    let r = first;
    let at = base;
    for (let i = 0; i < 10; i++) {
      const loc = r.headers.get('location');
      if (!loc) return { page: r, at };
      const next = new URL(loc, at).href;
      if (!next.startsWith(origin)) return { url: next, at };
      at = next;
      r = await this.get(next);
    }
    throw new Error('too many redirects');
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as object), ...(cookie ? { cookie } : {}) },
    });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return r;
  }
}

/**
 * Sign in at the provider: from the authorization URL through its login and consent pages to the
 * redirect back to Tsunagu. Returns the callback URL the provider sends the browser to.
 */
export async function signInAtProvider(
  browser: Browser,
  authorizationUrl: string,
  issuer: string,
  login: string,
): Promise<string> {
  let step = await browser.followUntilLeaving(issuer, await browser.get(authorizationUrl), authorizationUrl);
  for (let i = 0; i < 4 && !step.url; i++) {
    const html = await step.page!.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form on the provider page: ${html.slice(0, 300)}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    const form: Record<string, string> =
      prompt === 'login' ? { prompt, login, password: 'any' } : { prompt: prompt ?? 'consent' };
    const target = new URL(action, step.at).href;
    step = await browser.followUntilLeaving(issuer, await browser.post(target, form), target);
  }
  if (!step.url) throw new Error('the provider did not send the browser back');
  return step.url;
}
