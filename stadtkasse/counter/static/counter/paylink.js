// The payment link of the sale screen: turn the current sale into a link with a QR code,
// then ask the server every 1.5 seconds whether the citizen paid, until the link is paid,
// expired or canceled. The sale screen (till.js) reports the sale with the event
// "till:sale" and starts a new sale on "till:reset".
"use strict";

(() => {
  const dialog = document.getElementById("paylink-dialog");
  const openButton = document.getElementById("pay-link");
  if (!dialog || !openButton) return;

  const POLL_MS = 1500;
  const $ = (id) => document.getElementById(id);
  const money = new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" });
  const format = (cents) => money.format(cents / 100);
  const texts = {
    left: dialog.dataset.textLeft,
    network: dialog.dataset.textNetwork,
    unexpected: dialog.dataset.textUnexpected,
  };

  let sale = { payable: false, totalCents: 0, lines: [] };
  let token = null; // idempotency token of the link request of this sale
  let link = null; // the last status of the link shown
  let deadline = 0; // local time in ms when the link expires
  let pollTimer = null;
  let tickTimer = null;
  let busy = false;

  function newToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function csrfToken() {
    return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
  }

  function showError(message) {
    $("paylink-error").textContent = message;
    $("paylink-error").hidden = !message;
  }

  function showPhase(phase) {
    $("paylink-choose").hidden = phase !== "choose";
    $("paylink-wait").hidden = phase !== "wait";
    $("paylink-done").hidden = phase !== "done";
    $("paylink-back").hidden = phase === "wait";
    $("paylink-cancel").hidden = phase !== "wait";
  }

  document.addEventListener("till:sale", (event) => {
    sale = event.detail;
    token = null; // another sale now: a new link, not a retry
    openButton.disabled = !sale.payable;
  });

  openButton.addEventListener("click", () => {
    if (!sale.payable) return;
    link = null;
    $("paylink-due").textContent = format(sale.totalCents);
    for (const id of ["paylink-paid", "paylink-receipt", "paylink-pdf", "paylink-new-sale"]) $(id).hidden = true;
    showError("");
    showPhase("choose");
    dialog.showModal();
    $("paylink-validity").querySelector("button")?.focus();
  });

  $("paylink-validity").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-minutes]");
    if (button) createLink(Number(button.dataset.minutes));
  });

  async function createLink(minutes) {
    if (busy) return;
    busy = true;
    token = token || newToken();
    showError("");
    try {
      const response = await fetch(dialog.dataset.createUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ token, lines: sale.lines, minutes }),
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body) {
        showLink(body);
      } else {
        showError(body && body.error ? body.error.message : texts.unexpected);
      }
    } catch (error) {
      showError(texts.network);
    } finally {
      busy = false;
    }
  }

  function showLink(body) {
    $("paylink-qr").src = body.qr_code;
    $("paylink-url").href = body.url;
    $("paylink-url").textContent = body.url;
    $("paylink-kassenzeichen").textContent = body.kassenzeichen;
    $("paylink-code").textContent = body.order;
    $("paylink-due").textContent = format(body.total_cents);
    showPhase("wait");
    $("paylink-cancel").focus();
    update(body);
  }

  // ---- Waiting for the payment ------------------------------------------------------------

  function update(status) {
    link = status;
    if (status.state === "active") {
      // The server counts the seconds, so a wrong clock of the till does not matter.
      deadline = Date.now() + status.seconds_left * 1000;
      tick();
      schedule();
      return;
    }
    stopTimers();
    token = null; // the next link of this sale is a new one
    showPhase("done");
    $("paylink-final").textContent = status.message;
    const paid = status.state === "paid";
    $("paylink-paid").hidden = !paid;
    $("paylink-receipt").hidden = !paid;
    $("paylink-pdf").hidden = !paid;
    $("paylink-new-sale").hidden = !paid;
    $("paylink-back").hidden = paid;
    if (paid) {
      $("paylink-receipt").href = status.receipt_url;
      $("paylink-pdf").href = status.receipt_pdf_url;
      $("paylink-new-sale").focus();
    } else {
      $("paylink-back").focus();
    }
  }

  function tick() {
    const seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const rest = String(seconds % 60).padStart(2, "0");
    const time = hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
    $("paylink-left").textContent = `${texts.left} ${time}`;
    clearTimeout(tickTimer);
    tickTimer = setTimeout(tick, 1000);
  }

  function schedule() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, POLL_MS);
  }

  function stopTimers() {
    clearTimeout(pollTimer);
    clearTimeout(tickTimer);
    pollTimer = tickTimer = null;
  }

  async function poll() {
    if (!link || link.state !== "active") return;
    try {
      const response = await fetch(link.status_url, {
        credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body) {
        showError("");
        update(body);
        return;
      }
      showError(body && body.error ? body.error.message : texts.unexpected);
    } catch (error) {
      showError(texts.network);
    }
    schedule();
  }

  $("paylink-cancel").addEventListener("click", async () => {
    if (!link || busy) return;
    busy = true;
    try {
      const response = await fetch(link.cancel_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body) {
        update(body);
      } else {
        // A link paid in the meantime cannot be canceled; the next poll shows it paid.
        showError(body && body.error ? body.error.message : texts.unexpected);
        schedule();
      }
    } catch (error) {
      showError(texts.network);
    } finally {
      busy = false;
    }
  });

  // ---- Closing ------------------------------------------------------------------------------

  // While a link can be paid, the dialog stays open: the cashier cancels it or waits.
  dialog.addEventListener("cancel", (event) => {
    if (link && link.state === "active") event.preventDefault();
  });

  $("paylink-back").addEventListener("click", () => dialog.close());
  $("paylink-new-sale").addEventListener("click", () => dialog.close());

  dialog.addEventListener("close", () => {
    stopTimers();
    if (link && link.state === "paid") {
      document.dispatchEvent(new CustomEvent("till:reset"));
    }
    link = null;
  });
})();
