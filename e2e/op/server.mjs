// A real, independently written OpenID Provider (panva/oidc-provider 9.x) for
// loginkit's end-to-end tests. It is a test fixture: it keeps everything in
// memory, uses the library's development-only login/consent pages and listens
// on 127.0.0.1 only. Never run it anywhere that matters.
//
// stdout carries exactly one line, `READY http://127.0.0.1:<port>`, once the
// server listens; everything else (oidc-provider's notices included) goes to
// stderr.
//
// Environment (all optional):
//   OP_PORT                 port to listen on; 0 or unset picks a free one
//   OP_CLIENTS              JSON array of client metadata; replaces the default clients
//   OP_REDIRECT_URIS        comma list: redirect_uris of loginkit-confidential
//                           (default http://127.0.0.1/callback)
//   OP_POST_LOGOUT_URIS     comma list: post_logout_redirect_uris of loginkit-confidential
//   OP_BACKCHANNEL_LOGOUT_URI  backchannel_logout_uri of loginkit-confidential
//   OP_PUBLIC_REDIRECT_URIS comma list: redirect_uris of loginkit-public (a native app:
//                           loopback http URIs match on any port); default OP_REDIRECT_URIS
//   OP_PUBLIC_POST_LOGOUT_URIS comma list: post_logout_redirect_uris of loginkit-public
//   OP_ACCESS_TTL           access token (and client credentials token) lifetime in seconds (3600)
//   OP_ID_TOKEN_TTL         ID token lifetime in seconds (3600)
//   OP_REFRESH_TTL          refresh token lifetime in seconds (86400)
//   OP_CLOCK_TOLERANCE      seconds an expired token (or a JWT's exp/nbf) is still
//                           accepted (oidc-provider's clockTolerance, default 15); 0 or 1
//                           makes the tests of short-lived access tokens strict
//   OP_ACCOUNTS             JSON object {login: {claim: value}}: overrides the derived claims
//   OP_COOKIE_KEYS          comma list of cookie signing keys (fixed default)
//   OP_JWKS                 JSON JWKS with private signing keys (default: generated at start)
//   OP_TEST_HOOKS=1         enables GET /__test/counts and POST /__test/reset
//   OP_EXIT_ON_STDIN_EOF=1  exit when stdin closes (the Go harness sets it, so that a
//                           killed test binary never leaves the server behind)
//   DEBUG=oidc-provider:*   oidc-provider's own debug output (may include secrets)

import * as http from 'node:http';

// oidc-provider 9 wants Node.js 22 (it warns, and works, on 20.18+, whose URL.parse it needs).
{
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 18)) {
    console.error(`op: Node.js ${process.versions.node} is too old; oidc-provider 9 needs 20.18 or later (22 LTS preferred)`);
    process.exit(1);
  }
}

// oidc-provider prints its notices with console.info (stdout); keep stdout for
// the READY line only.
console.log = console.error;
console.info = console.error;

const { default: Provider } = await import('oidc-provider');

function env(name, fallback) {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}

function list(name, fallback = []) {
  const v = env(name);
  if (v === undefined) return fallback;
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function seconds(name, fallback) {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`${name} must be a positive integer number of seconds, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function json(name, fallback) {
  const raw = env(name);
  if (raw === undefined) return fallback;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new Error(`${name} is not valid JSON: ${err.message}`);
  }
}

const port = Number(env('OP_PORT', '0'));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`OP_PORT must be a port number, got ${JSON.stringify(process.env.OP_PORT)}`);
}
const accessTTL = seconds('OP_ACCESS_TTL', 3600);
const idTokenTTL = seconds('OP_ID_TOKEN_TTL', 3600);
const refreshTTL = seconds('OP_REFRESH_TTL', 24 * 60 * 60);
const clockTolerance = (() => {
  const raw = env('OP_CLOCK_TOLERANCE');
  if (raw === undefined) return 15;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`OP_CLOCK_TOLERANCE must be a non-negative integer number of seconds, got ${JSON.stringify(raw)}`);
  }
  return n;
})();
const testHooks = env('OP_TEST_HOOKS') === '1';
const accountOverrides = json('OP_ACCOUNTS', {});

const redirectURIs = list('OP_REDIRECT_URIS', ['http://127.0.0.1/callback']);
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

function defaultClients() {
  const confidential = {
    client_id: 'loginkit-confidential',
    client_secret: 'loginkit-secret',
    client_name: 'loginkit confidential web client',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: redirectURIs,
    post_logout_redirect_uris: list('OP_POST_LOGOUT_URIS'),
  };
  const backchannel = env('OP_BACKCHANNEL_LOGOUT_URI');
  if (backchannel !== undefined) {
    confidential.backchannel_logout_uri = backchannel;
    confidential.backchannel_logout_session_required = true;
  }
  return [
    confidential,
    {
      // A public client (CLI, SPA-less native app): no secret, PKCE only.
      client_id: 'loginkit-public',
      client_name: 'loginkit public client',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: list('OP_PUBLIC_REDIRECT_URIS', redirectURIs),
      post_logout_redirect_uris: list('OP_PUBLIC_POST_LOGOUT_URIS'),
    },
    {
      // Machine to machine.
      client_id: 'loginkit-service',
      client_secret: 'loginkit-service-secret',
      client_name: 'loginkit service client',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'api:read api:write',
    },
    {
      // Device authorization grant (RFC 8628), public.
      client_id: 'loginkit-device',
      client_name: 'loginkit device client',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_CODE, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    },
  ];
}

const clients = json('OP_CLIENTS', undefined) ?? defaultClients();
if (!Array.isArray(clients)) throw new Error('OP_CLIENTS must be a JSON array');

function titleCase(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

// Any login typed into the dev login form is an account; its claims derive from
// the login ("alice" → Alice Example, alice@example.com). A login that starts
// with "unverified" gets email_verified=false. OP_ACCOUNTS overrides per login.
function accountClaims(login) {
  const local = login.includes('@') ? login.slice(0, login.indexOf('@')) : login;
  const given = titleCase(local);
  return {
    sub: login,
    email: login.includes('@') ? login : `${login}@example.com`,
    email_verified: !login.startsWith('unverified'),
    name: `${given} Example`,
    given_name: given,
    family_name: 'Example',
    picture: `https://example.com/avatars/${encodeURIComponent(local)}.png`,
    ...(accountOverrides[login] ?? {}),
    // sub is the account id, whatever the overrides say.
    sub: login,
  };
}

async function findAccount(ctx, id) {
  if (typeof id !== 'string' || id === '') return undefined;
  return {
    accountId: id,
    async claims(use, scope, claims, rejected) {
      return accountClaims(id);
    },
  };
}

function isLoopbackHost(hostname) {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

const configuration = {
  clients,
  findAccount,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'picture'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'],
  // With the default (true), a code flow ID token carries only sub (plus claims
  // asked for with the claims parameter) and profile/email go to userinfo only.
  // loginkit reads them from the ID token too, so put them there.
  conformIdTokenClaims: false,
  cookies: {
    keys: list('OP_COOKIE_KEYS', ['loginkit-e2e-cookie-key-1', 'loginkit-e2e-cookie-key-0']),
  },
  pkce: {
    // Every client must use PKCE; oidc-provider 9 supports S256 only.
    required: () => true,
  },
  // Issue refresh tokens to every client allowed the refresh_token grant, without
  // requiring the offline_access scope (and so without prompt=consent).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  clockTolerance,
  ttl: {
    AccessToken: accessTTL,
    ClientCredentials: accessTTL,
    IdToken: idTokenTTL,
    RefreshToken: refreshTTL,
    AuthorizationCode: 60,
    DeviceCode: 600,
    Interaction: 3600,
    Session: 24 * 60 * 60,
    Grant: 24 * 60 * 60,
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    pushedAuthorizationRequests: { enabled: true },
    dPoP: { enabled: true },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Any resource indicator is an API that takes JWT access tokens whose
      // audience is the indicator, with scopes api:read and api:write.
      getResourceServerInfo: async (ctx, resourceIndicator) => ({
        scope: 'api:read api:write',
        audience: resourceIndicator,
        accessTokenTTL: accessTTL,
        accessTokenFormat: 'jwt',
      }),
    },
  },
  clientBasedCORS: () => true,
  // oidc-provider 9 refuses outgoing requests (back-channel logout, jwks_uri,
  // sector_identifier_uri, ...) to special-use addresses, loopback included: it
  // passes an undici dispatcher that destroys such sockets in options.dispatcher.
  // The relying parties under test listen on 127.0.0.1, so for loopback targets
  // we drop that dispatcher; every other destination keeps the protection.
  fetch: (url, options) => {
    const target = new URL(url);
    if (isLoopbackHost(target.hostname)) {
      const { dispatcher, ...rest } = options;
      return globalThis.fetch(url, rest);
    }
    return globalThis.fetch(url, options);
  },
};

const jwks = json('OP_JWKS', undefined);
if (jwks !== undefined) configuration.jwks = jwks;

// Bind first so the issuer can carry the port the kernel picked.
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', () => {
    server.off('error', reject);
    resolve();
  });
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, configuration);

// Test counters: successful and failed token endpoint requests by grant_type.
// Counted from oidc-provider's own events, which fire synchronously before the
// response is written, so a test that reads them after a token response sees
// its own request counted.
const counts = { success: {}, error: {} };
function bump(bucket, ctx) {
  const gt = ctx.oidc?.params?.grant_type ?? 'unknown';
  bucket[gt] = (bucket[gt] ?? 0) + 1;
}
provider.on('grant.success', (ctx) => bump(counts.success, ctx));
provider.on('grant.error', (ctx) => bump(counts.error, ctx));

if (testHooks) {
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/counts' && ctx.method === 'GET') {
      ctx.set('cache-control', 'no-store');
      ctx.body = counts;
      return;
    }
    if (ctx.path === '/__test/reset' && ctx.method === 'POST') {
      counts.success = {};
      counts.error = {};
      ctx.status = 204;
      return;
    }
    await next();
  });
}

// Log what failed, never tokens, codes, secrets or request bodies.
provider.on('server_error', (ctx, err) => {
  console.error(`op: server_error on ${ctx.method} ${ctx.path}: ${err?.message}`);
});
provider.on('backchannel.error', (ctx, err, client) => {
  console.error(`op: back-channel logout to ${client.clientId} failed: ${err?.message}`);
});
for (const event of ['grant.error', 'authorization.error', 'end_session.error', 'userinfo.error', 'introspection.error', 'revocation.error', 'registration_create.error', 'device_authorization.error', 'pushed_authorization_request.error']) {
  provider.on(event, (ctx, err) => {
    console.error(`op: ${event} on ${ctx.method} ${ctx.path}: ${err?.error ?? err?.message}${err?.error_description ? ` (${err.error_description})` : ''}`);
  });
}

server.on('request', provider.callback());

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`op: ${signal}, shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (env('OP_EXIT_ON_STDIN_EOF') === '1') {
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}

process.stdout.write(`READY ${issuer}\n`);
