// Test-only: the sign-in portal's flows in a real Chromium (Debian's, driven
// by playwright-core; no browser is downloaded). Run by
// tests/it/pages_browser.rs against a `tessera` server on a real socket:
//
//   PORTAL_URL=http://localhost:PORT   the portal (TESSERA_PUBLIC_URL)
//   APP_URL=http://localhost:PORT2     an app origin on TESSERA_RETURN_TO
//   GUARDED_URL=http://localhost:PORT3 an app behind forward auth (redirect=1),
//                                      its /private/ on TESSERA_RETURN_TO
//   CHROMIUM=/usr/bin/chromium         the browser
//   PASSWORD, NEW_PASSWORD             passwords the policy accepts
//   ADMIN_USER                         a user with the admin role (PASSWORD)
//   PROVIDER_USER, PROVIDER_PASSWORD   an account at the OpenID provider ("Corp")
//   LINK_PROVIDER_USER                 another one, linked to grace from /account
//   SCREENSHOT_DIR                     where to save the pages' screenshots
//
// Prints one line per step; exits 1 with the failing step on any mismatch.
// Every page is also checked with axe-core (no serious or critical
// violations) in light and dark.

import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const portal = process.env.PORTAL_URL;
const app = process.env.APP_URL;
const guarded = process.env.GUARDED_URL;
const password = process.env.PASSWORD;
const newPassword = process.env.NEW_PASSWORD;
const screenshots = process.env.SCREENSHOT_DIR;
const adminUser = process.env.ADMIN_USER;
const providerUser = process.env.PROVIDER_USER;
const providerPassword = process.env.PROVIDER_PASSWORD;
const linkProviderUser = process.env.LINK_PROVIDER_USER;
const INVALID = 'Incorrect username or password.';

let step = 'start';
function check(condition, message) {
  if (!condition) throw new Error(`${step}: ${message}`);
}
function begin(name) {
  step = name;
  console.log(`step: ${name}`);
}

async function path(page) {
  return new URL(page.url()).pathname;
}

async function signIn(page, username, pass, query = '') {
  await page.goto(`${portal}/login${query}`);
  await page.fill('#username', username);
  await page.fill('#password', pass);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
}

// RFC 6238 by the letter with node's own HMAC (SHA-1, 6 digits, 30 s):
// an implementation independent of the server's.
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
function totpAt(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1000000).padStart(6, '0');
}
const currentStep = () => Math.floor(Date.now() / 1000 / 30);

async function axeClean(page, name) {
  await page.addScriptTag({ path: axePath });
  const results = await page.evaluate(() => window.axe.run(document));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(
    bad.length === 0,
    `${name}: ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`,
  );
  console.log(`  ${name}: ${results.passes.length} rules pass, ${results.violations.length} minor findings`);
}

async function sessionCount(page) {
  return page.locator('#sessions li.session').count();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  // Two people-browsers: separate cookie jars.
  const first = await browser.newContext({ userAgent: 'PortalTest/1 (first browser)' });
  const second = await browser.newContext({ userAgent: 'PortalTest/1 (second browser)' });
  const a = await first.newPage();
  const b = await second.newPage();

  begin('the password rules are shown before typing');
  await a.goto(`${portal}/register`);
  check((await a.textContent('#password-rules')).includes('characters long'), 'no password rules');

  begin('a refused password is shown by its field');
  await a.fill('#username', 'ada');
  await a.fill('#password', 'aaaaaaaaaaaa');
  await a.click('form[action="/register"] button[type=submit]');
  check((await path(a)) === '/register', `left the form for ${a.url()}`);
  check(
    (await a.textContent('#password-error')).toLowerCase().includes('repeated'),
    'no password error by the field',
  );
  check((await a.inputValue('#username')) === 'ada', 'the username was not kept');

  begin('sign up signs in and lands on the account page');
  await a.fill('#password', password);
  await a.click('form[action="/register"] button[type=submit]');
  check((await path(a)) === '/account', `landed on ${a.url()}`);
  check((await a.textContent('#who')) === 'ada', 'the account page does not name ada');
  check((await sessionCount(a)) === 1, 'not exactly one session');
  check((await a.locator('#sessions li.current').count()) === 1, 'the current session is not marked');

  begin('signing in from a second browser makes two sessions');
  await signIn(b, 'ada', password);
  check((await path(b)) === '/account', `second browser landed on ${b.url()}`);
  check((await sessionCount(b)) === 2, 'the second browser does not see two sessions');
  await a.reload();
  check((await sessionCount(a)) === 2, 'the first browser does not see two sessions');
  check(
    (await a.textContent('#sessions li.session:not(.current) .device')).includes('second browser'),
    'the other session does not show its user agent',
  );

  begin('the first browser signs the second out');
  await a.click('#sessions li.session:not(.current) button[type=submit]');
  check((await path(a)) === '/account', `after ending a session: ${a.url()}`);
  check((await a.textContent('#notice')).includes('signed out'), 'no notice');
  check((await sessionCount(a)) === 1, 'the ended session is still listed');

  begin('the second browser is sent to /login on its next page load');
  await b.goto(`${portal}/account`);
  check((await path(b)) === '/login', `second browser is on ${b.url()}`);

  begin('a wrong password and an unknown user read the same');
  await signIn(b, 'ada', 'not-the-password-at-all');
  check((await path(b)) === '/login', 'a wrong password signed in');
  const wrong = (await b.textContent('#form-error')).trim();
  await signIn(b, 'nobody-by-this-name', 'not-the-password-at-all');
  const unknown = (await b.textContent('#form-error')).trim();
  check(wrong === INVALID && unknown === INVALID, `messages differ: ${wrong} / ${unknown}`);

  begin('sign-in with rd on the allowlist returns there');
  const target = `${app}/landing?from=portal`;
  await signIn(b, 'ada', password, `?rd=${encodeURIComponent(target)}`);
  check(b.url() === target, `went to ${b.url()}, not ${target}`);
  check((await b.textContent('h1')) === 'app landing', 'the app page did not load');

  begin('sign-in with rd off the allowlist goes to /account');
  for (const rd of ['http://evil.localhost:9/x', 'javascript:alert(1)', '//evil.example/', `${app}/../x`]) {
    await signIn(b, 'ada', password, `?rd=${encodeURIComponent(rd)}`);
    check(b.url() === `${portal}/account`, `rd ${rd} went to ${b.url()}`);
  }

  begin('a lost access cookie is renewed from the refresh cookie');
  await second.clearCookies({ name: 'access_token_cookie' });
  await b.goto(`${portal}/account`);
  check((await path(b)) === '/account', `without the access cookie: ${b.url()}`);
  const renewed = (await second.cookies(portal)).find((c) => c.name === 'access_token_cookie');
  check(renewed && renewed.httpOnly && renewed.sameSite === 'Lax', 'no renewed HttpOnly SameSite=Lax access cookie');

  begin('changing the password ends the other sessions');
  await a.reload();
  check((await sessionCount(a)) > 1, 'the second browser has no session to end');
  await a.fill('#current_password', password);
  await a.fill('#new_password', newPassword);
  await a.click('form[action="/account/password"] button[type=submit]');
  check((await path(a)) === '/account', `after the change: ${a.url()}`);
  check((await a.textContent('#notice')).includes('password was changed'), 'no notice');
  check((await sessionCount(a)) === 1, 'other sessions survived');
  await b.goto(`${portal}/account`);
  check((await path(b)) === '/login', `second browser kept its session: ${b.url()}`);

  begin('sign out');
  await a.click('#sign-out');
  check((await path(a)) === '/signed-out', `after sign-out: ${a.url()}`);
  await a.goto(`${portal}/account`);
  check((await path(a)) === '/login', `signed-out browser reached ${a.url()}`);

  begin('with JavaScript off the forms still work');
  const plain = await browser.newContext({ javaScriptEnabled: false, userAgent: 'PortalTest/1 (no script)' });
  const c = await plain.newPage();
  await signIn(c, 'ada', newPassword);
  check((await path(c)) === '/account', `no-script sign-in landed on ${c.url()}`);
  await c.click('#sign-out');
  check((await path(c)) === '/signed-out', `no-script sign-out landed on ${c.url()}`);
  await c.goto(`${portal}/register`);
  await c.fill('#username', 'grace');
  await c.fill('#password', password);
  await c.click('form[action="/register"] button[type=submit]');
  check((await path(c)) === '/account', `no-script sign-up landed on ${c.url()}`);
  check((await c.textContent('#who')) === 'grace', 'no-script sign-up is not grace');

  begin('keyboard only: Tab to the fields, Enter to sign in');
  const keys = await browser.newContext();
  const k = await keys.newPage();
  await k.goto(`${portal}/login`);
  await k.keyboard.press('Tab'); // the header link
  await k.keyboard.press('Tab');
  check((await k.evaluate(() => document.activeElement.id)) === 'username', 'Tab does not reach the username');
  await k.keyboard.type('grace');
  await k.keyboard.press('Tab');
  await k.keyboard.type(password);
  await Promise.all([k.waitForURL(`${portal}/account`), k.keyboard.press('Enter')]);
  check((await k.textContent('#who')) === 'grace', 'keyboard sign-in did not sign grace in');

  begin('forward auth sends a browser to the login page and back where it was going');
  const visitor = await browser.newContext();
  const v = await visitor.newPage();
  const wanted = `${guarded}/private/report?id=7&view=full`;
  await v.goto(wanted);
  check(v.url().startsWith(`${portal}/login?rd=`), `the guarded page sent the browser to ${v.url()}`);
  check(new URL(v.url()).searchParams.get('rd') === wanted, `rd is not the page asked for: ${v.url()}`);
  await v.fill('#username', 'grace');
  await v.fill('#password', password);
  await Promise.all([v.waitForURL(wanted), v.click('form[action="/login"] button[type=submit]')]);
  check((await v.textContent('h1')) === 'guarded page', 'the guarded page did not load after sign-in');
  check((await v.textContent('#user')).length > 0, 'the guarded page got no X-Auth-User');

  begin('forward auth: an expired access cookie comes straight back through the login page');
  await visitor.clearCookies({ name: 'access_token_cookie' });
  await v.goto(`${guarded}/private/other`);
  check(v.url() === `${guarded}/private/other`, `without the access cookie: ${v.url()}`);
  check((await v.textContent('h1')) === 'guarded page', 'not the guarded page');

  begin('forward auth: off the allowlist the app gets the 401, not a redirect');
  const off = await v.goto(`${guarded}/public-area`);
  await visitor.clearCookies();
  const denied = await v.goto(`${guarded}/public-area`);
  check(off.status() === 200 && denied.status() === 401, `statuses ${off.status()} / ${denied.status()}`);
  check(v.url() === `${guarded}/public-area`, `went to ${v.url()}`);

  begin('an admin disables a user, whose open page then goes to the login page');
  await k.goto(`${portal}/account`);
  check((await k.textContent('#who')) === 'grace', 'grace is not signed in');
  const root = await browser.newContext();
  const r = await root.newPage();
  await signIn(r, adminUser, password);
  await r.goto(`${portal}/admin`);
  await r.fill('#q', 'grace');
  await Promise.all([r.waitForLoadState('load'), r.click('form[action="/admin"] button[type=submit]')]);
  check((await r.locator('#users li.user').count()) === 1, 'the search did not find grace alone');
  await Promise.all([r.waitForLoadState('load'), r.click('#users a.username')]);
  check((await r.textContent('#who')) === 'grace', `not grace's page: ${r.url()}`);
  check((await r.locator('#sessions li.session').count()) >= 1, 'grace has no session listed');
  await r.click('#disable');
  check((await r.textContent('#status')) === 'Disabled', 'not shown as disabled');
  check((await r.textContent('#notice')).includes('disabled'), 'no notice');
  await k.reload();
  check((await path(k)) === '/login', `grace's open page stayed on ${k.url()}`);
  await signIn(k, 'grace', password);
  check((await path(k)) === '/login', 'a disabled user signed in');

  begin('the admin enables the user again and finds both in the audit log');
  await r.click('#enable');
  check((await r.textContent('#status')) === 'Enabled', 'not shown as enabled');
  await Promise.all([r.waitForLoadState('load'), r.click('text=Audit log for this user')]);
  const kinds = await r.locator('#events .kind').allTextContents();
  check(kinds.includes('user_disabled') && kinds.includes('user_enabled'), `the log shows ${kinds.join(', ')}`);
  await signIn(k, 'grace', password);
  check((await path(k)) === '/account', `grace could not sign in again: ${k.url()}`);

  begin('a signed-out admin sent to /login from /admin/log comes back to /admin/log');
  const returning = await browser.newContext();
  const back = await returning.newPage();
  await back.goto(`${portal}/admin/log?kind=user_enabled`);
  check((await path(back)) === '/login', `not sent to sign in: ${back.url()}`);
  check(new URL(back.url()).searchParams.get('rd') === '/admin/log?kind=user_enabled', `rd is ${back.url()}`);
  await back.fill('#username', adminUser);
  await back.fill('#password', password);
  await Promise.all([
    back.waitForURL(`${portal}/admin/log?kind=user_enabled`),
    back.click('form[action="/login"] button[type=submit]'),
  ]);
  check((await back.locator('#events .kind').allTextContents()).every((k) => k === 'user_enabled'), 'not the filtered log');
  await returning.close();

  begin('grace links her Corp account from /account through the OpenID provider');
  const linking = await browser.newContext();
  const l = await linking.newPage();
  await signIn(l, 'grace', password);
  check((await path(l)) === '/account', `grace is on ${l.url()}`);
  check(await l.isVisible('#no-identities'), 'grace already has a provider linked');
  check((await l.locator('form[action="/account/providers/link"] input[name=current_password]').count()) === 0,
    'a fresh session is asked for its password');
  await Promise.all([l.waitForLoadState('load'), l.click('form[action="/account/providers/link"] button[type=submit]')]);
  check((await path(l)) === '/account/providers/link', `the button led to ${l.url()}`);
  await Promise.all([l.waitForLoadState('load'), l.click('#continue')]);
  check(!l.url().startsWith(portal), `the link did not lead to the provider: ${l.url()}`);
  await l.fill('form[name=login] input[name=login]', linkProviderUser);
  await l.fill('form[name=login] input[name=password]', providerPassword);
  await Promise.all([l.waitForURL(`${portal}/account?done=linked`), l.click('form[name=login] button[type=submit]')]);
  check((await l.textContent('#notice')).includes('was linked'), 'no notice after linking');
  check((await l.locator('#identities li.identity').count()) === 1, 'the linked provider is not listed');
  check((await l.textContent('#identities')).includes(`${linkProviderUser}@example.com`), 'the identity\'s e-mail is not shown');
  check((await l.locator('form[action="/account/providers/link"]').count()) === 0, 'Corp is offered again after linking');
  check(!(await linking.cookies(portal)).some((c) => c.name === 'tessera_oauth_flow'), 'the flow cookie stayed');
  // Left linked for the account page's screenshot; unlinked at the end.

  for (const colorScheme of ['light', 'dark']) {
    begin(`axe-core finds no serious or critical violation (${colorScheme})`);
    // axe is injected as a script, which the pages' policy forbids: only the
    // test's context bypasses it.
    const audit = await browser.newContext({ colorScheme, bypassCSP: true });
    const page = await audit.newPage();
    const pages = [
      ['/login', null],
      ['/register', null],
      ['/signed-out', null],
      ['/login (refused)', async () => signIn(page, 'grace', 'not-the-password-at-all')],
      ['/register (refused)', async () => {
        await page.goto(`${portal}/register`);
        await page.fill('#username', 'grace');
        await page.fill('#password', 'aaaaaaaaaaaa');
        await page.click('form[action="/register"] button[type=submit]');
      }],
      ['/account', async () => signIn(page, 'grace', password)],
      ['/admin', async () => {
        await signIn(page, adminUser, password);
        await page.goto(`${portal}/admin`);
      }],
      ['/admin (a user)', async () => {
        await page.goto(`${portal}/admin?q=grace`);
        await page.click('#users a.username');
      }],
      ['/admin/log', null],
      ['/docs', null],
    ];
    for (const [name, open] of pages) {
      if (open) await open();
      else await page.goto(`${portal}${name}`);
      await page.addScriptTag({ path: axePath });
      const results = await page.evaluate(() => window.axe.run(document));
      const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      check(
        bad.length === 0,
        `${name}: ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`,
      );
      console.log(`  ${name}: ${results.passes.length} rules pass, ${results.violations.length} minor findings`);
      const shot = {
        '/login': 'login',
        '/register (refused)': 'register',
        '/account': 'account',
        '/admin': 'admin',
        '/admin (a user)': 'admin-user',
      }[name];
      if (screenshots && shot) {
        // Without axe's additions: reload the page as it was served.
        const view = await browser.newContext({ colorScheme, viewport: { width: 900, height: 700 } });
        await view.addCookies(await audit.cookies());
        const clean = await view.newPage();
        await clean.goto(page.url());
        await clean.screenshot({ path: `${screenshots}/${shot}-${colorScheme}.png`, fullPage: true });
        await view.close();
      }
    }
  }

  begin('a narrow phone screen needs no sideways scrolling');
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const p = await phone.newPage();
  await signIn(p, adminUser, password);
  for (const page of ['/login', '/register', '/account', '/admin', '/admin/log']) {
    await p.goto(`${portal}${page}`);
    const wide = await p.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 360, `${page} is ${wide}px wide on a 360px screen`);
  }

  begin('the provider button signs in through the OpenID provider and lands on /account');
  const social = await browser.newContext();
  const o = await social.newPage();
  await o.goto(`${portal}/login`);
  check((await o.textContent('.providers a')).trim() === 'Corp', 'no Corp button on /login');
  await Promise.all([o.waitForLoadState('load'), o.click('.providers a')]);
  check(!o.url().startsWith(portal), `the button did not lead to the provider: ${o.url()}`);
  await o.fill('form[name=login] input[name=login]', providerUser);
  await o.fill('form[name=login] input[name=password]', providerPassword);
  const hops = [];
  o.on('response', (r) => hops.push(`${r.status()} ${r.url()} -> ${r.headers().location ?? ''} ${(r.headers()['set-cookie'] ?? '').replace(/=[^;\n]{12,}/g, '=…')}`));
  await Promise.all([o.waitForLoadState('load'), o.click('form[name=login] button[type=submit]')]);
  await o.waitForLoadState('load');
  check(o.url() === `${portal}/account`, `landed on ${o.url()} after:\n${hops.join('\n')}`);
  const who = (await o.textContent('#who')).trim();
  // The new account's name comes from the provider's profile (ada's is "Ada Lovelace").
  check(who.toLowerCase().includes(providerUser.toLowerCase()), `signed in as ${who}`);
  check(!(await social.cookies(portal)).some((c) => c.name === 'tessera_oauth_flow'), 'the flow cookie stayed');
  check((await sessionCount(o)) === 1, 'not exactly one session after social sign-in');

  begin('the only way to sign in cannot be unlinked, and the page says so');
  check((await o.locator('#identities li.identity').count()) === 1, 'the provider sign-up is not listed');
  await Promise.all([o.waitForLoadState('load'), o.click('#identities button[type=submit]')]);
  check((await path(o)) === '/account/providers/unlink', `not the refusal: ${o.url()}`);
  check((await o.textContent('#providers-error')).includes('only way you can sign in'), 'no refusal shown');
  await o.goto(`${portal}/account`);
  check((await o.locator('#identities li.identity').count()) === 1, 'the last way was unlinked');

  begin('grace unlinks Corp again (she has a password)');
  await l.goto(`${portal}/account`);
  await Promise.all([l.waitForURL(`${portal}/account?done=unlinked`), l.click('#identities button[type=submit]')]);
  check((await l.textContent('#notice')).includes('unlinked'), 'no notice after unlinking');
  check(await l.isVisible('#no-identities'), 'the identity is still listed');
  check((await l.locator('form[action="/account/providers/link"]').count()) === 1, 'Corp is not offered again');

  begin('two-step sign-in: set up from /account with the secret shown beside the QR code');
  const twoStep = await browser.newContext({ userAgent: 'PortalTest/1 (two-step)' });
  const t = await twoStep.newPage();
  await t.goto(`${portal}/register`);
  await t.fill('#username', 'tove');
  await t.fill('#password', password);
  await t.click('form[action="/register"] button[type=submit]');
  check((await path(t)) === '/account', `tove's sign-up landed on ${t.url()}`);
  check((await t.textContent('#two-step-status')).startsWith('Off'), 'two-step sign-in is not shown as off');
  await Promise.all([t.waitForLoadState('load'), t.click('#two-step-setup')]);
  check((await path(t)) === '/account/two-step/setup', `Set up led to ${t.url()}`);
  // The QR code loads under the pages' real policy (img-src data:).
  check(await t.evaluate(() => document.querySelector('#qr').naturalWidth > 0), 'the QR code image did not load');
  const secret = (await t.textContent('#secret')).trim();
  const setupStep = currentStep();
  await t.fill('#code', totpAt(secret, setupStep));
  await Promise.all([t.waitForLoadState('load'), t.click('form[action="/account/two-step/confirm"] button[type=submit]')]);
  check((await t.locator('#recovery-codes li').count()) === 10, `no ten recovery codes on ${t.url()}`);
  await Promise.all([t.waitForLoadState('load'), t.click('#done')]);
  check((await t.textContent('#notice')).includes('is on'), 'no notice that two-step sign-in is on');

  begin('two-step sign-in: sign out, then the password and a code computed in node');
  await t.click('#sign-out');
  check((await path(t)) === '/signed-out', `after sign-out: ${t.url()}`);
  await signIn(t, 'tove', password);
  check(await t.isVisible('#code'), `no code field after the password: ${t.url()}`);
  check(!(await twoStep.cookies(portal)).some((c) => c.name === 'access_token_cookie'), 'the password alone gave a session');
  check(!t.url().includes('mfa_token'), 'the mfa_token is in the URL');
  await t.fill('#code', '000000');
  await Promise.all([t.waitForLoadState('load'), t.click('form[action="/login/code"] button[type=submit]')]);
  check((await t.textContent('#form-error')).includes('not right'), 'a wrong code was not refused on the page');
  // The confirming code's time step is used: wait for the next one.
  const wait = (setupStep + 1) * 30000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 500));
  await t.fill('#code', totpAt(secret, currentStep()));
  await Promise.all([t.waitForURL(`${portal}/account`), t.click('form[action="/login/code"] button[type=submit]')]);
  check((await t.textContent('#who')) === 'tove', 'the code did not sign tove in');
  check((await t.textContent('#two-step-status')).startsWith('On'), 'two-step sign-in is not shown as on');

  for (const colorScheme of ['light', 'dark']) {
    begin(`axe-core on the two-step pages (${colorScheme})`);
    const audit = await browser.newContext({ colorScheme, bypassCSP: true, viewport: { width: 900, height: 700 } });
    const page = await audit.newPage();
    await signIn(page, 'tove', password);
    check(await page.isVisible('#code'), 'no code page');
    if (screenshots) await page.screenshot({ path: `${screenshots}/login-code-${colorScheme}.png`, fullPage: true });
    await axeClean(page, '/login (code)');
    const setup = await browser.newContext({ colorScheme, bypassCSP: true, viewport: { width: 900, height: 900 } });
    const s = await setup.newPage();
    await signIn(s, 'grace', password);
    await Promise.all([s.waitForLoadState('load'), s.click('#two-step-setup')]);
    check((await path(s)) === '/account/two-step/setup', `Set up led to ${s.url()}`);
    if (screenshots) await s.screenshot({ path: `${screenshots}/two-step-setup-${colorScheme}.png`, fullPage: true });
    await axeClean(s, '/account/two-step/setup');
    await audit.close();
    await setup.close();
  }

  console.log('all portal flows passed');
} catch (err) {
  console.error(`FAILED ${err.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
