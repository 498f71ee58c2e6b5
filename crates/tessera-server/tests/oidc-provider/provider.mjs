// A test-only OpenID provider for tessera-server's integration tests: panva's
// oidc-provider (OpenID-certified, independently written) on 127.0.0.1, with
// fixed accounts, keys generated at start-up, a login page a scripted client
// can submit, and a control API a test uses to rotate keys or make the
// provider misbehave. Never for anything but tests: every secret here is
// a test value and the provider keeps everything in memory.
//
// Started by tests/it/oidc_support.rs as `node provider.mjs`, configured by
// one JSON document in OIDC_FIXTURE_CONFIG:
//
//   {
//     "port": 0,                          // 0 = any free port
//     "algs": ["ES256", "RS256"],         // id_token algorithms (one key each)
//     "password": "…",                    // every account's password
//     "accounts": [{ "username", "sub", "email", "email_verified", "name" }],
//     "clients": [{ client metadata: client_id, client_secret, redirect_uris,
//                   id_token_signed_response_alg, token_endpoint_auth_method }],
//     "consent_page": false               // true: a consent form to submit
//   }
//
// Prints `READY <issuer>` on stdout once it serves, and exits when stdin
// closes (its parent died or dropped it) or on SIGTERM.
//
// Control API (same origin as the issuer, not part of OpenID):
//   POST /_test/rotate[?keep_old=1]  new keys (new kids) for every algorithm;
//        the old ones leave the JWKS unless keep_old. Answers {"kids": {alg: kid}}.
//   PUT  /_test/behaviour  replaces the misbehaviour (JSON, `{}` = none):
//        "responses": { "/token": {"status": 200, "body": "text or JSON",
//                                  "content_type": "…"} }  answer these paths so
//        "delays": { "/token": 3000 }           wait this long (ms) first
//        "userinfo_claims": { "sub": "other" }  merged into userinfo answers
//        "id_token_claims": { "nonce": "x", "aud": "y", "email": null }
//                                                merged into issued id_tokens
//                                                (null removes a claim)
//        "id_token_header": { "alg": "none" | "HS256" | …, "kid": "…" }
//                                                merged into their header
//        "id_token_foreign_key": true           sign with a key not in the JWKS
//                                                (same kid)
//        Any id_token_* entry re-signs the id_token: `none` gives an unsigned
//        token, HS* an HMAC under the client's secret, others the provider's
//        current key for that algorithm.
//   GET  /_test/behaviour  the current misbehaviour.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_FIXTURE_CONFIG ?? '{}');
const algs = config.algs ?? ['ES256', 'RS256'];
const password = config.password ?? 'provider-test-password';
const accounts = new Map((config.accounts ?? []).map((account) => [account.username, account]));
const clients = config.clients ?? [];

// ---------------------------------------------------------------- keys

function generateKey(alg) {
  const kid = `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`;
  let pair;
  if (alg.startsWith('ES')) {
    const namedCurve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg];
    pair = crypto.generateKeyPairSync('ec', { namedCurve });
  } else if (alg.startsWith('RS') || alg.startsWith('PS')) {
    pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  } else if (alg === 'EdDSA' || alg === 'Ed25519') {
    pair = crypto.generateKeyPairSync('ed25519');
  } else {
    throw new Error(`no key type for ${alg}`);
  }
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

// Newest first: oidc-provider signs with the first key that fits.
let keys = algs.map(generateKey);

function rotate(keepOld) {
  const fresh = algs.map(generateKey);
  keys = keepOld ? [...fresh, ...keys] : fresh;
  return Object.fromEntries(fresh.map((key) => [key.alg, key.kid]));
}

// ---------------------------------------------------------------- misbehaviour

let behaviour = {};

const b64url = (data) => Buffer.from(data).toString('base64url');
const decodePart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

function sign(alg, input, clientSecret) {
  if (alg === 'none') {
    return '';
  }
  const bits = alg.slice(2);
  const digest = { 256: 'sha256', 384: 'sha384', 512: 'sha512' }[bits] ?? null;
  if (alg.startsWith('HS')) {
    return b64url(crypto.createHmac(digest, clientSecret ?? '').update(input).digest());
  }
  let jwk = keys.find((key) => key.alg === alg) ?? generateKey(alg);
  if (behaviour.id_token_foreign_key) {
    jwk = generateKey(alg);
  }
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  if (alg.startsWith('ES')) {
    return b64url(crypto.sign(digest, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }));
  }
  if (alg.startsWith('PS')) {
    return b64url(crypto.sign(digest, Buffer.from(input), {
      key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8,
    }));
  }
  return b64url(crypto.sign(alg.startsWith('RS') ? digest : null, Buffer.from(input), key));
}

function merge(target, changes) {
  for (const [name, value] of Object.entries(changes ?? {})) {
    if (value === null) {
      delete target[name];
    } else {
      target[name] = value;
    }
  }
  return target;
}

function tamperIdToken(token, clientSecret) {
  const [headerPart, payloadPart] = token.split('.');
  const header = merge(decodePart(headerPart), behaviour.id_token_header);
  const claims = merge(decodePart(payloadPart), behaviour.id_token_claims);
  if (header.alg !== decodePart(headerPart).alg && !behaviour.id_token_header?.kid) {
    const key = keys.find((candidate) => candidate.alg === header.alg);
    if (key) {
      header.kid = key.kid;
    } else {
      delete header.kid;
    }
  }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign(header.alg, input, clientSecret)}`;
}

const tampersIdTokens = () => Boolean(behaviour.id_token_claims
  || behaviour.id_token_header || behaviour.id_token_foreign_key);

// A koa middleware in front of oidc-provider's own.
async function misbehave(ctx, next) {
  const delay = behaviour.delays?.[ctx.path];
  if (delay) {
    await new Promise((resolve) => { setTimeout(resolve, delay); });
  }
  const canned = behaviour.responses?.[ctx.path];
  if (canned) {
    ctx.status = canned.status ?? 200;
    const text = typeof canned.body === 'string' ? canned.body : JSON.stringify(canned.body ?? {});
    ctx.type = canned.content_type
      ?? (typeof canned.body === 'string' ? 'text/plain' : 'application/json');
    ctx.body = text;
    return;
  }
  await next();
  if (ctx.path === '/me' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    merge(ctx.body, behaviour.userinfo_claims);
  }
  if (ctx.path === '/token' && ctx.body?.id_token && tampersIdTokens()) {
    ctx.body.id_token = tamperIdToken(ctx.body.id_token, ctx.oidc?.client?.clientSecret);
  }
}

// ---------------------------------------------------------------- interactions

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>\n<body>\n<h1>${escape(title)}</h1>\n${body}\n</body></html>\n`;
}

function loginPage(uid, params, error) {
  return page('Sign in', `${error ? `<p class="error">${escape(error)}</p>\n` : ''}<form name="login" method="post" action="/interaction/${escape(uid)}/login">
  <input type="text" name="login" value="${escape(params.login_hint ?? '')}">
  <input type="password" name="password" value="">
  <button type="submit">Sign in</button>
</form>
<form name="abort" method="post" action="/interaction/${escape(uid)}/abort">
  <button type="submit">Cancel</button>
</form>`);
}

function consentPage(uid, clientId, details) {
  const scopes = (details.missingOIDCScope ?? []).join(' ');
  return page('Authorize', `<p>${escape(clientId)} asks for: ${escape(scopes)}</p>
<form name="consent" method="post" action="/interaction/${escape(uid)}/confirm">
  <input type="hidden" name="consent" value="yes">
  <button type="submit">Allow</button>
</form>
<form name="abort" method="post" action="/interaction/${escape(uid)}/abort">
  <button type="submit">Deny</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The login and consent pages: oidc-provider leaves these to the deployer
// (its devInteractions accept any login without a password).
const interactionsFor = (provider) => async function interactions(ctx, next) {
  const match = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(ctx.path);
  if (!match) {
    await next();
    return;
  }
  const [, uid, action] = match;
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) {
    ctx.throw(400, 'interaction mismatch');
  }
  const { prompt, params, session } = details;
  if (!action && ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = prompt.name === 'login'
      ? loginPage(uid, params)
      : consentPage(uid, params.client_id, prompt.details);
    return;
  }
  if (ctx.method !== 'POST') {
    ctx.throw(405);
  }
  const form = await readForm(ctx.req);
  ctx.respond = false;
  if (action === 'abort') {
    await provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }
  if (action === 'login') {
    const account = accounts.get(form.get('login') ?? '');
    if (!account || form.get('password') !== password) {
      ctx.respond = true;
      ctx.type = 'html';
      ctx.body = loginPage(uid, params, 'Wrong username or password.');
      return;
    }
    await provider.interactionFinished(ctx.req, ctx.res, {
      login: { accountId: account.sub },
    }, { mergeWithLastSubmission: false });
    return;
  }
  // confirm: grant what the client asked for.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) {
    grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  }
  if (prompt.details.missingOIDCClaims) {
    grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  }
  for (const [indicator, scope] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scope.join(' '));
  }
  await provider.interactionFinished(ctx.req, ctx.res, {
    consent: { grantId: await grant.save() },
  }, { mergeWithLastSubmission: true });
};

// ---------------------------------------------------------------- provider

const accountsBySub = new Map([...accounts.values()].map((account) => [account.sub, account]));

function buildProvider(issuer) {
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    cookies: { keys: ['tessera-test-cookie-key-not-a-secret'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Like Google: the id_token carries the profile claims too, not only
    // userinfo (the native id-token sign-in has no userinfo call).
    conformIdTokenClaims: false,
    enabledJWA: { idTokenSigningAlgValues: algs },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      // The fake Graph (tests/it/facebook_graph.rs) learns whose code it
      // exchanged from here: a plain OAuth 2.0 request has no id_token.
      introspection: { enabled: true },
      rpInitiatedLogout: { enabled: false },
    },
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const account = accountsBySub.get(sub);
      if (!account) {
        return undefined;
      }
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: account.email,
            email_verified: account.email_verified,
            name: account.name,
          };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      if (config.consent_page) {
        return undefined;
      }
      // Consent granted without a page: everything the client asks for.
      const grant = new ctx.oidc.provider.Grant({
        accountId: ctx.oidc.session.accountId,
        clientId: ctx.oidc.client.clientId,
      });
      grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
      grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  provider.use(misbehave);
  provider.use(interactionsFor(provider));
  return provider;
}

// ---------------------------------------------------------------- server

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let handler = null;
let issuer = null;

async function control(req, res, url) {
  if (url.pathname === '/_test/rotate' && req.method === 'POST') {
    const kids = rotate(['1', 'true'].includes(url.searchParams.get('keep_old')));
    // The keys live in the provider's configuration: a new instance takes
    // them (its sessions, codes and grants live in the shared memory adapter).
    handler = buildProvider(issuer).callback();
    sendJson(res, 200, { kids });
  } else if (url.pathname === '/_test/behaviour' && req.method === 'PUT') {
    const chunks = [];
    for await (const chunk of req) {
      chunks.push(chunk);
    }
    behaviour = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    sendJson(res, 200, behaviour);
  } else if (url.pathname === '/_test/behaviour' && req.method === 'GET') {
    sendJson(res, 200, behaviour);
  } else {
    sendJson(res, 404, { error: 'no such control' });
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname.startsWith('/_test/')) {
    control(req, res, url).catch((err) => sendJson(res, 400, { error: String(err) }));
    return;
  }
  handler(req, res);
});

server.listen(config.port ?? 0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  handler = buildProvider(issuer).callback();
  process.stdout.write(`READY ${issuer}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
