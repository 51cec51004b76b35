// Passkeys in the browser's own WebAuthn API, no framework: the server's options are
// WebAuthn JSON (py_webauthn), read with PublicKeyCredential.parse*OptionsFromJSON, and
// the credential goes back as credential.toJSON(). Every check is the server's.
"use strict";

(function () {
  if (!window.PublicKeyCredential) return;

  function csrfToken(root) {
    const input = (root || document).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The server's own (translated) words, else the page's: never the browser's English.
  class Refused extends Error {}

  function showError(element, error) {
    const box = document.querySelector("[data-passkey-error]");
    if (!box) return;
    box.textContent = (error instanceof Refused && error.message) || box.dataset.passkeyError;
    box.hidden = false;
  }

  async function post(url, body, token) {
    const isForm = body instanceof FormData;
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: isForm ? { "X-CSRFToken": token } : { "X-CSRFToken": token, "Content-Type": "application/json" },
      body: isForm ? body : JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (ignored) { /* a page, not JSON: the generic message */ }
    if (!response.ok) throw new Refused(data.error || "");
    return data;
  }

  function go(data) {
    if (data.codes) {
      const list = document.getElementById("recovery-codes");
      list.replaceChildren(...data.codes.map((code) => {
        const item = document.createElement("li");
        const text = document.createElement("code");
        text.textContent = code;
        item.append(text);
        return item;
      }));
      document.getElementById("passkey-codes").hidden = false;
      document.getElementById("passkey-codes").focus();
      return;
    }
    window.location.assign(data.redirect);
  }

  // Registering, from the account page: the password first, then the authenticator.
  const register = document.getElementById("passkey-register");
  if (register) {
    register.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const options = await post(register.dataset.optionsUrl, new FormData(register), csrfToken(register));
        const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
        const credential = await navigator.credentials.create({ publicKey });
        const name = register.querySelector("input[name=name]").value;
        go(await post(register.dataset.verifyUrl, { credential: credential.toJSON(), name }, csrfToken(register)));
      } catch (error) {
        showError(register, error);
      }
    });
  }

  // Signing in (the sign-in page, or the second step): a button, and on the sign-in page
  // the e-mail field's autofill too (conditional mediation), which the button cancels.
  // One ceremony at a time: the button cancels the autofill one and waits until it has ended.
  let controller = null;
  let running = Promise.resolve();
  async function ceremony(button, mediation, signal) {
    const options = await post(button.dataset.optionsUrl, {}, csrfToken());
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
    const request = { publicKey, signal };
    if (mediation) request.mediation = mediation;
    const credential = await navigator.credentials.get(request);
    go(await post(button.dataset.verifyUrl, { credential: credential.toJSON(), next: button.dataset.next || "" }, csrfToken()));
  }
  async function signIn(button, mediation) {
    if (controller) controller.abort();
    await running.catch(() => {});
    controller = new AbortController();
    running = ceremony(button, mediation, controller.signal);
    return running;
  }

  const button = document.getElementById("passkey-sign-in");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", () => signIn(button).catch((error) => {
      if (error && error.name === "AbortError") return;
      showError(button, error);
    }));
    if (button.dataset.conditional && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (!available) return;
        signIn(button, "conditional").catch((error) => {
          if (!error || error.name !== "AbortError") showError(button, error);
        });
      });
    }
  }
})();
