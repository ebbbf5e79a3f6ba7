// Security keys and passkeys (WebAuthn): registering one on the second-factor
// page, using one instead of the app's code after the password, and signing in
// with a passkey alone on the sign-in page. The server
// makes the options (JSON, binary fields in base64url) and checks the answers.
(function () {
  "use strict";

  function toBytes(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  }

  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let raw = "";
    for (const b of bytes) raw += String.fromCharCode(b);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    (o.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    return o;
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    (o.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    return o;
  }

  function credentialJSON(cred) {
    const r = cred.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: response,
      clientExtensionResults: cred.getClientExtensionResults(),
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
    };
  }

  async function post(form, url, body) {
    const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": token, "Content-Type": "application/json" },
      body: body === undefined ? "" : JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || form.dataset.failed);
    return data;
  }

  function wire(form, ceremony) {
    const error = form.querySelector(".error");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      return; // the form stays hidden: the app's code still works
    }
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const passkey = form.querySelector("[name=passkey]");
        const options = await post(form, form.dataset.options,
          passkey ? { passkey: passkey.checked } : undefined);
        const answer = await ceremony(form, options);
        location.assign(answer.redirect);
      } catch (problem) {
        error.textContent = problem instanceof DOMException ? form.dataset.failed : problem.message;
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll("form.webauthn-register").forEach((form) =>
    wire(form, async (f, options) => {
      const cred = await navigator.credentials.create({ publicKey: creationOptions(options) });
      const name = f.querySelector("[name=name]").value;
      return post(f, f.dataset.submit, { name: name, credential: credentialJSON(cred) });
    }));

  document.querySelectorAll("form.webauthn-sign-in").forEach((form) =>
    wire(form, async (f, options) => {
      const cred = await navigator.credentials.get({ publicKey: requestOptions(options) });
      return post(f, f.dataset.submit, credentialJSON(cred));
    }));
})();
