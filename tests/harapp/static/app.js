// harapp dashboard script: drives the JSON API the way a single-page app would.
// Flow (one button per step, clicked by tests/harapp/record.py):
//   #create -> POST /api/token (session cookie) -> POST /api/orders (Bearer) -> GET <Location header>
//   #update -> PUT /api/orders/<id>
//   #submit -> POST /api/orders/<id>/submit, then XMLHttpRequest GET /api/config
"use strict";
(function () {
  let accessToken = null;
  let orderId = null;
  const logEl = document.getElementById("log");
  const statusEl = document.getElementById("status");

  function log(line) {
    logEl.textContent += line + "\n";
  }

  function setStatus(text) {
    statusEl.textContent = text;
    statusEl.className = text.startsWith("error") ? "error" : "";
  }

  async function api(method, url, body) {
    const headers = { "Accept": "application/json" };
    if (accessToken) headers["Authorization"] = "Bearer " + accessToken;
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(url, init);
    const data = await res.json();
    if (!res.ok) throw new Error(method + " " + url + " -> " + res.status + " " + JSON.stringify(data));
    log(method + " " + url + " -> " + res.status);
    return { res: res, data: data };
  }

  async function getToken() {
    const r = await api("POST", "/api/token", {});
    accessToken = r.data.access_token;
  }

  async function createOrder() {
    setStatus("working");
    if (!accessToken) await getToken();
    const item = document.getElementById("item").value;
    const qty = parseInt(document.getElementById("qty").value, 10);
    const created = await api("POST", "/api/orders", { item: item, qty: qty });
    orderId = created.data.id;
    const location = created.res.headers.get("Location");
    const shown = await api("GET", location);
    document.getElementById("order-id").textContent = shown.data.id;
    setStatus("created");
  }

  async function updateOrder() {
    setStatus("working");
    const qty = parseInt(document.getElementById("qty").value, 10);
    const r = await api("PUT", "/api/orders/" + orderId, { item: document.getElementById("item").value, qty: qty });
    document.getElementById("order-qty").textContent = String(r.data.qty);
    setStatus("updated");
  }

  function loadConfig() {
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      xhr.open("GET", "/api/config");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status !== 200) { reject(new Error("config -> " + xhr.status)); return; }
        log("GET /api/config -> " + xhr.status);
        resolve(JSON.parse(xhr.responseText));
      };
      xhr.onerror = function () { reject(new Error("config network error")); };
      xhr.send();
    });
  }

  async function submitOrder() {
    setStatus("working");
    const r = await api("POST", "/api/orders/" + orderId + "/submit", {});
    document.getElementById("confirmation").textContent = r.data.confirmation;
    const config = await loadConfig();
    document.getElementById("limits").textContent = "max qty " + config.max_qty + " " + config.currency;
    setStatus("submitted");
  }

  function wire(id, fn) {
    document.getElementById(id).addEventListener("click", function (ev) {
      ev.preventDefault();
      fn().catch(function (err) { setStatus("error: " + err.message); });
    });
  }

  wire("create", createOrder);
  wire("update", updateOrder);
  wire("submit", submitOrder);
  setStatus("ready");
})();
