// The fastest peer of `make bench`: node-oidc-provider with its defaults (opaque access
// tokens, an ID token on refresh, refresh tokens rotated) on PostgreSQL, one process.
// Environment: PORT, DATABASE_URL, CLIENT_SECRET, SEED (users to create).
// Each user gets a grant of the scopes below, a refresh token on it and a signed-in session
// that holds the grant for the client, as a user who signed in and consented before: silent
// SSO (an authorization request answered with a code at once, then the code redeemed).
// Prints one JSON line {"refresh_tokens": [...], "sessions": [...]} once it listens; a
// session is its `_session` cookie's value (unsigned: no cookie keys are configured).
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';
import pg from 'pg';

import { SCHEMA, postgresAdapter } from './adapter.js';

const { PORT = '18030', DATABASE_URL, CLIENT_SECRET, SEED = '16' } = process.env;
const CLIENT_ID = 'bench-web';
const SCOPE = 'openid offline_access email';
const REDIRECT_URI = 'https://bench.example/cb';
const DAY = 86400;

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 8 });
await pool.query(SCHEMA);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };

const provider = new Provider(`http://127.0.0.1:${PORT}`, {
  adapter: postgresAdapter(pool),
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  scopes: ['openid', 'offline_access', 'email'],
  rotateRefreshToken: true, // as the IdP: every refresh rotates, a reuse is refused
  issueRefreshToken: async () => true,
  features: { devInteractions: { enabled: false } },
  ttl: {
    AccessToken: 300, IdToken: 300, RefreshToken: 14 * DAY, Grant: 14 * DAY, Session: 14 * DAY,
  },
});

const client = await provider.Client.find(CLIENT_ID);
const now = Math.floor(Date.now() / 1000);
const tokens = [];
const sessions = [];
for (let i = 0; i < Number(SEED); i += 1) {
  const accountId = `user${i}`;
  const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
  grant.addOIDCScope(SCOPE);
  const grantId = await grant.save();
  const refreshToken = new provider.RefreshToken({
    client,
    accountId,
    grantId,
    scope: SCOPE,
    gty: 'authorization_code',
    authTime: now,
    iiat: now,
    rotations: 0,
    expiresWithSession: false,
  });
  tokens.push(await refreshToken.save());
  const session = new provider.Session();
  session.loginAccount({ accountId, loginTs: now });
  session.grantIdFor(CLIENT_ID, grantId);
  session.ensureClientContainer(CLIENT_ID);
  await session.save(14 * DAY);
  sessions.push(session.id);
}
await pool.query('ANALYZE oidc_payloads');

provider.listen(Number(PORT), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ refresh_tokens: tokens, sessions })}\n`);
});
