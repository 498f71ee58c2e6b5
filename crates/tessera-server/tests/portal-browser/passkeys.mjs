// Test-only: passkeys in a real Chromium (Debian's, driven by
// playwright-core) with the DevTools Protocol's virtual authenticator
// (CTAP2, internal, resident keys, user verification). Run by
// tests/it/passkeys_browser.rs against a `tessera` server on a real socket:
//
//   PORTAL_URL=http://localhost:PORT   the server (TESSERA_PUBLIC_URL)
//   CHROMIUM=/usr/bin/chromium         the browser
//   USERNAME, PASSWORD                 an account that exists
//
// The portal's /login signs in with its "Sign in with a passkey" button
// (the embedded script, under the pages' Content-Security-Policy); the
// other calls run in a blank page on the server's own origin (answered by
// this script). Every ceremony is the real one: the browser builds the
// client data, the virtual authenticator signs, the server verifies. Prints one line per step; exits 1 with the failing
// step on any mismatch.

import { chromium } from 'playwright-core';

const portal = process.env.PORTAL_URL;
const username = process.env.USERNAME;
const password = process.env.PASSWORD;

let step = 'start';
function check(condition, message) {
  if (!condition) throw new Error(`${step}: ${message}`);
}
function begin(name) {
  step = name;
  console.log(`step: ${name}`);
}

// In the page: a JSON call to the server, answering {status, body}.
async function call(page, method, path, body, token) {
  return page.evaluate(
    async ({ method, path, body, token }) => {
      const headers = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    { method, path, body, token },
  );
}

// In the page: the whole passwordless sign-in, as a sign-in page does it.
async function passkeySignIn(page) {
  return page.evaluate(async () => {
    const start = await (await fetch('/auth/passkeys/login/start', { method: 'POST' })).json();
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(start.publicKey);
    const assertion = await navigator.credentials.get({ publicKey });
    const response = await fetch('/auth/passkeys/login/finish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ceremony_id: start.ceremony_id, credential: assertion.toJSON() }),
    });
    return { status: response.status, body: await response.json() };
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const blank = `${portal}/passkey-test-page`;
  await page.route(blank, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>passkeys</title>' }),
  );
  await page.goto(blank);

  begin('a virtual authenticator with resident keys and user verification');
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  begin('sign in with the password (a fresh token)');
  const login = await call(page, 'POST', '/auth/login', { username, password });
  check(login.status === 200, `login answered ${login.status}`);
  const token = login.body.access_token;

  begin('register a passkey through the real ceremony');
  const registered = await page.evaluate(async (token) => {
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const start = await (await fetch('/auth/passkeys/register/start', { method: 'POST', headers: auth })).json();
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(start.publicKey);
    const credential = await navigator.credentials.create({ publicKey });
    const response = await fetch('/auth/passkeys/register/finish', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ ceremony_id: start.ceremony_id, credential: credential.toJSON(), name: 'Chromium' }),
    });
    return { status: response.status, body: await response.json() };
  }, token);
  check(registered.status === 201, `finish answered ${registered.status}: ${JSON.stringify(registered.body)}`);
  check(registered.body.name === 'Chromium', `named ${registered.body.name}`);

  begin('the authenticator holds it as a discoverable credential');
  const held = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  check(held.credentials.length === 1, `${held.credentials.length} credentials`);
  check(held.credentials[0].isResidentCredential, 'not a resident credential');

  begin("the portal's /login signs in with the passkey alone: no username, no password");
  await page.goto(`${portal}/login`);
  await page.waitForSelector('#passkey-sign-in', { state: 'visible' });
  await Promise.all([page.waitForURL(`${portal}/account`), page.click('#passkey-sign-in')]);
  check((await page.textContent('main')).includes(username), 'the account page does not name the user');
  await page.goto(blank);

  begin('sign in with the passkey alone through the JSON API');
  const signedIn = await passkeySignIn(page);
  check(signedIn.status === 200, `finish answered ${signedIn.status}: ${JSON.stringify(signedIn.body)}`);
  const me = await call(page, 'GET', '/auth/me', undefined, signedIn.body.access_token);
  check(me.status === 200 && me.body.username === username, `me: ${JSON.stringify(me)}`);

  begin('a second sign-in moves the counter on and works too');
  const again = await passkeySignIn(page);
  check(again.status === 200, `finish answered ${again.status}: ${JSON.stringify(again.body)}`);

  begin('delete the passkey');
  const listed = await call(page, 'GET', '/auth/passkeys', undefined, token);
  check(listed.body.passkeys.length === 1, `listed ${JSON.stringify(listed.body)}`);
  const deleted = await call(page, 'DELETE', `/auth/passkeys/${listed.body.passkeys[0].id}`, undefined, token);
  check(deleted.status === 204, `delete answered ${deleted.status}`);

  begin('the deleted passkey no longer signs in');
  const refused = await passkeySignIn(page);
  check(refused.status === 401, `finish answered ${refused.status}: ${JSON.stringify(refused.body)}`);
  check(refused.body.error === 'passkey_rejected', `error ${refused.body.error}`);

  console.log('all passkey flows passed');
} catch (err) {
  console.log(`FAILED ${err.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
