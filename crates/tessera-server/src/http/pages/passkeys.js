// Tessera portal: passkeys. Served from this server (/static/passkeys.js,
// embedded in the binary; the pages' Content-Security-Policy allows no other
// script and nothing inline). WebAuthn has no HTML form, so this is the one
// script the portal has; without it the pages work and its buttons stay
// hidden.
//
// On /login, "Sign in with a passkey": POST /auth/passkeys/login/start,
// navigator.credentials.get, POST /auth/passkeys/login/finish?cookies=true
// (the same session cookies as the password form), then on to the page the
// server named (data-next: the allowed rd or /account).
'use strict';

(function () {
  const supported =
    window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function';

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let json = null;
    try {
      json = await response.json();
    } catch (_) {
      json = null;
    }
    return { ok: response.ok, json };
  }

  function show(error, text) {
    error.textContent = text;
    error.hidden = false;
  }

  const signIn = document.getElementById('passkey-sign-in');
  if (signIn && supported) {
    const section = document.getElementById('passkey-section');
    const error = document.getElementById('passkey-error');
    section.hidden = false;
    signIn.addEventListener('click', async () => {
      error.hidden = true;
      signIn.disabled = true;
      try {
        const start = await postJson('/auth/passkeys/login/start');
        if (!start.ok) {
          show(error, (start.json && start.json.message) || 'Passkey sign-in is not available.');
          return;
        }
        const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(start.json.publicKey);
        const assertion = await navigator.credentials.get({ publicKey });
        const finish = await postJson('/auth/passkeys/login/finish?cookies=true', {
          ceremony_id: start.json.ceremony_id,
          credential: assertion.toJSON(),
        });
        if (!finish.ok) {
          show(error, 'That passkey could not sign you in.');
          return;
        }
        // data-next was checked by the server (an allowed rd or /account).
        window.location.assign(signIn.dataset.next || '/account');
      } catch (_) {
        show(error, 'The passkey prompt was closed or failed; try again.');
      } finally {
        signIn.disabled = false;
      }
    });
  }
})();
