// A real OpenID Provider for hsbtrack's tests: the certified npm package `oidc-provider`, on loopback.
// Started by the `oidc_provider` fixture (hsbtrack/testing.py), which reads what it needs to know from
// the JSON line this prints once listening. Never for production: the keys are made at start, the
// accounts are fixed, everything lives in memory.
//
//   node provider.mjs <path of node_modules/oidc-provider> <port>
//
// Two clients ("hsbtrack", ours, and "other-app", another relying party of the same provider), both
// with PKCE required; redirect URIs on http://localhost at any port (the tests' apps choose theirs).
// Accounts (password "provider-password"): see ACCOUNTS. The login form is this script's own small
// page (so that an account's `amr` can say it used a second factor); consent is granted without asking.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const [, , modulePath, portArg] = process.argv;
const { default: Provider } = await import(pathToFileURL(`${modulePath}/lib/index.js`).href);
const port = Number(portArg);
const issuer = `http://localhost:${port}`;
export const PASSWORD = 'provider-password';

const ACCOUNTS = {
  'invited': { email: 'invited@council.example.gov.uk', email_verified: true },
  'stranger': { email: 'stranger@council.example.gov.uk', email_verified: true },
  'unverified': { email: 'unverified@council.example.gov.uk', email_verified: false },
  'outsider': { email: 'outsider@elsewhere.example.com', email_verified: true },
  'mfa': { email: 'mfa@council.example.gov.uk', email_verified: true, amr: ['pwd', 'mfa'] },
  'nomfa': { email: 'nomfa@council.example.gov.uk', email_verified: true },
  'entra': { email: 'entra@council.example.gov.uk', xms_edov: true },
  'entra-unverified': { email: 'entra-unverified@council.example.gov.uk' },
  'moved': { email: 'moved@council.example.gov.uk', email_verified: true },
  'rival': { email: 'rival@council.example.gov.uk', email_verified: true },
  'matrix': { email: 'sso.matrix@council.example.gov.uk', email_verified: true, amr: ['mfa'] },
};
// Tests change an account's e-mail at the provider (POST /test/accounts/<id> with JSON claims).

const clientSecret = 'hsbtrack-client-secret-for-tests-only';
const config = {
  clients: [
    { client_id: 'hsbtrack', client_secret: clientSecret, redirect_uris: ['http://localhost/auth/oidc/callback'],
      post_logout_redirect_uris: ['http://localhost/login'], grant_types: ['authorization_code'],
      response_types: ['code'] },
    { client_id: 'other-app', client_secret: 'other-app-secret-for-tests-only',
      redirect_uris: ['http://localhost/other/callback'], grant_types: ['authorization_code'], response_types: ['code'] },
  ],
  pkce: { required: () => true },
  claims: { openid: ['sub', 'amr', 'acr', 'auth_time', 'sid'], email: ['email', 'email_verified', 'xms_edov'], profile: ['name'] },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['hsbtrack-test-provider-cookie-key'] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, name: id, ...account }; } };
  },
  ttl: { Session: 3600, Interaction: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
};

const provider = new Provider(issuer, config);
// Redirect URIs: any http://localhost port, the registered path (the tests serve the app on a free port).
// Ours ("hsbtrack") may use any /auth/oidc/<slug>/callback (the tests name providers as they like).
const loosePort = (value, allowed, ours) => {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' || url.hostname !== 'localhost') return false;
    url.port = '';
    if (ours && /^\/auth\/oidc\/[a-z0-9-]+\/callback$/.test(url.pathname) && !url.search) return true;
    return allowed.some((a) => { const b = new URL(a); b.port = ''; return b.href === url.href; });
  } catch { return false; }
};
provider.Client.prototype.redirectUriAllowed = function (value) {
  return loosePort(value, this.redirectUris, this.clientId === 'hsbtrack');
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function (value) {
  return loosePort(value, this.postLogoutRedirectUris || []) || /^http:\/\/localhost(:\d+)?\/login(\?.*)?$/.test(value);
};

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const readBody = (req) => new Promise((resolve) => {
  let data = '';
  req.on('data', (chunk) => { data += chunk; });
  req.on('end', () => resolve(new URLSearchParams(data)));
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (prompt.name === 'login') {
    let error = '';
    if (req.method === 'POST') {
      const form = await readBody(req);
      const id = form.get('login');
      if (ACCOUNTS[id] && form.get('password') === PASSWORD) {
        const amr = ACCOUNTS[id].amr || ['pwd'];
        return provider.interactionFinished(req, res, { login: { accountId: id, amr } }, { mergeWithLastSubmission: false });
      }
      error = '<p id="error">Wrong login or password</p>';
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(`<!doctype html><html lang="en"><head><title>Test provider: sign in</title></head><body>
      <h1>Test identity provider</h1>${error}<p>Signing in to ${escape(params.client_id)}</p>
      <form method="post" action="/interaction/${uid}">
      <label for="login">Login</label><input id="login" name="login" autocomplete="off">
      <label for="password">Password</label><input id="password" name="password" type="password">
      <button type="submit">Sign in at the provider</button></form></body></html>`);
  }
  // consent: granted at once (the tests' provider is the partnership's own)
  const grant = details.grantId ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/interaction/')) return await interaction(req, res);
    const change = req.url.match(/^\/test\/accounts\/([\w-]+)$/);
    if (change && req.method === 'POST') {
      let data = '';
      for await (const chunk of req) data += chunk;
      ACCOUNTS[change[1]] = { ...(ACCOUNTS[change[1]] || {}), ...JSON.parse(data) };
      res.writeHead(204);
      return res.end();
    }
    return callback(req, res);
  } catch (error) {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end(String(error && error.stack || error));
  }
});
server.listen(port, 'localhost', () => {
  process.stdout.write(`${JSON.stringify({ issuer, client_id: 'hsbtrack', client_secret: clientSecret,
    other_client_id: 'other-app', other_client_secret: 'other-app-secret-for-tests-only', password: PASSWORD })}\n`);
});
