// node-oidc-provider configured like Logto, for idp's benchmark.
//
// Mounted at /oidc as Logto mounts it; one ES384 (P-384) key; one confidential client with
// client_secret_basic; PKCE required; opaque access tokens; userinfo at /oidc/me; refresh tokens
// for offline_access (granted only with prompt=consent, the engine's rule). The interaction route
// signs one fixed account in and grants every requested scope at once.
//
// Environment: PORT, KEY_FILE (private JWK), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
// ACCOUNT_ID, ACCOUNT_EMAIL.

import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

import MapAdapter from './adapter.mjs';

const env = process.env;
const PREFIX = '/oidc';
const INTERACTION = '/interaction/';

const account = {
  sub: env.ACCOUNT_ID,
  email: env.ACCOUNT_EMAIL,
  email_verified: true,
  name: null,
  username: null,
  picture: null,
};

const configuration = {
  adapter: MapAdapter,
  jwks: { keys: [JSON.parse(readFileSync(env.KEY_FILE, 'utf8'))] },
  clients: [{
    client_id: env.CLIENT_ID,
    client_secret: env.CLIENT_SECRET,
    redirect_uris: [env.REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES384',
  }],
  enabledJWA: { idTokenSigningAlgValues: ['ES384'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'username', 'picture'],
    email: ['email', 'email_verified'],
  },
  conformIdTokenClaims: false, // Logto puts the scopes' claims in the ID token
  findAccount: async (_ctx, id) => (id === account.sub ? { accountId: id, claims: async () => account } : undefined),
  interactions: { url: (_ctx, interaction) => `${PREFIX}${INTERACTION}${interaction.uid}` },
  cookies: { keys: ['bench-only-cookie-key'] },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Interaction: 3600,
  },
  routes: { authorization: '/auth', token: '/token', userinfo: '/me', jwks: '/jwks' },
};

const provider = new Provider(`http://127.0.0.1:${env.PORT}${PREFIX}`, configuration);

async function grantEverything(details) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: account.sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  return grant.save();
}

// The interaction: sign the fixed account in (if needed) and consent, through the interaction API.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith(INTERACTION)) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const result = { consent: { grantId: await grantEverything(details) } };
  if (details.prompt.name === 'login') result.login = { accountId: account.sub };
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

const handle = provider.callback();

const server = http.createServer((req, res) => {
  if (req.url !== PREFIX && !req.url.startsWith(`${PREFIX}/`) && !req.url.startsWith(`${PREFIX}?`)) {
    res.writeHead(404).end();
    return;
  }
  req.originalUrl = req.url;
  req.url = req.url.slice(PREFIX.length) || '/';
  handle(req, res);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(env.PORT), '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
