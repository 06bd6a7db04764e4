// The card terminal of the sale screen: start the payment, show the terminal's status
// live, then whether the customer was charged. The server runs the ZVT dialogue in the
// background; this script asks for its state every second. The sale screen (till.js)
// reports the sale with the event "till:sale" and starts a new sale on "till:reset".
"use strict";

(() => {
  const dialog = document.getElementById("terminal-dialog");
  const payButton = document.getElementById("pay-terminal");
  if (!dialog || !payButton) return;

  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);
  const money = new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" });
  const texts = {
    network: dialog.dataset.textNetwork,
    unexpected: dialog.dataset.textUnexpected,
    starting: dialog.dataset.textStarting,
    endOfDay: dialog.dataset.textEndOfDay,
  };
  const kindText = $("terminal-kind").textContent;
  const abortText = $("terminal-abort").textContent;
  const refundsDialog = $("refunds-dialog");
  const refundTexts = refundsDialog ? {
    kind: refundsDialog.dataset.textRefund,
    abort: refundsDialog.dataset.textAbortRefund,
    last: refundsDialog.dataset.textLast,
  } : {};

  let sale = { payable: false, totalCents: 0, lines: [] };
  let token = null; // idempotency token of this sale's terminal request
  let current = null; // the last transaction state shown
  let pollTimer = null;
  let busy = false;
  let backToRefunds = false; // closing the terminal dialog shows the refund list again

  document.addEventListener("till:sale", (event) => {
    sale = event.detail;
    token = null;
    payButton.disabled = !sale.payable;
  });

  function newToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function csrfToken() {
    return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
  }

  function showError(message) {
    $("terminal-error").textContent = message || "";
    $("terminal-error").hidden = !message;
  }

  async function request(url, options = {}) {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      ...options,
    });
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    if (!response.ok) throw new Error(body && body.error ? body.error.message : texts.unexpected);
    return body;
  }

  const buttons = ["terminal-abort", "terminal-recover", "terminal-retry", "terminal-other", "terminal-cancel", "terminal-receipt-link", "terminal-new-sale", "terminal-close"];

  function show(state) {
    current = state;
    dialog.dataset.state = state.state;
    dialog.dataset.charged = state.charged;
    const refund = state.refund !== null && state.refund !== undefined;
    let kind = kindText;
    if (state.kind === "end_of_day") kind = texts.endOfDay;
    if (refund) kind = refundTexts.kind;
    $("terminal-kind").textContent = kind;
    $("terminal-abort").textContent = refund ? refundTexts.abort : abortText;
    $("terminal-title").textContent = state.headline;
    $("terminal-status").textContent = state.state === "running" ? (state.status_text || texts.starting) : "";
    $("terminal-status").hidden = state.state !== "running";
    $("terminal-message").textContent = state.message || "";
    const receipt = state.receipt_lines || [];
    $("terminal-receipt").textContent = receipt.join("\n");
    $("terminal-receipt-box").hidden = receipt.length === 0;

    const visible = new Set();
    const payment = state.kind === "payment";
    const orderOpen = payment && state.order && state.order.state === "open";
    if (state.state === "running") {
      // A refund (06 31) waits for the card like a payment; a reversal (06 30) does not.
      if ((payment || state.kind === "refund") && !state.abort_requested) visible.add("terminal-abort");
    } else if (state.state === "unclear") {
      visible.add("terminal-recover");
    } else if (payment && state.charged === "yes") {
      visible.add("terminal-receipt-link").add("terminal-new-sale");
    } else if (orderOpen) {
      visible.add("terminal-retry").add("terminal-other").add("terminal-cancel");
    } else if (payment) {
      visible.add("terminal-new-sale");
    } else {
      visible.add("terminal-close");
    }
    for (const id of buttons) $(id).hidden = !visible.has(id);
    if (state.order) $("terminal-receipt-link").href = state.order.receipt_url;
    const first = buttons.map((id) => $(id)).find((b) => !b.hidden);
    if (first && document.activeElement?.hidden !== false) first.focus();

    clearTimeout(pollTimer);
    if (state.state === "running" || state.state === "unclear") pollTimer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    if (!current) return;
    try {
      const state = await request(current.urls.status);
      showError("");
      show(state);
    } catch (error) {
      // The dialogue goes on without the till; keep asking.
      showError(error.message === texts.unexpected ? texts.network : error.message);
      pollTimer = setTimeout(poll, POLL_MS * 2);
    }
  }

  async function act(url, body) {
    if (busy) return;
    busy = true;
    showError("");
    try {
      show(await request(url, { method: "POST", body: JSON.stringify(body || {}) }));
    } catch (error) {
      showError(error.message || texts.network);
    } finally {
      busy = false;
    }
  }

  function openDialog(dueCents) {
    $("terminal-due").textContent = dueCents === null ? "" : money.format(dueCents / 100);
    $("terminal-due-line").hidden = dueCents === null;
    $("terminal-title").textContent = "";
    $("terminal-status").textContent = texts.starting;
    $("terminal-status").hidden = false;
    $("terminal-message").textContent = "";
    for (const id of buttons) $(id).hidden = true;
    dialog.dataset.state = "running";
    dialog.dataset.charged = "unknown";
    showError("");
    dialog.showModal();
  }

  payButton.addEventListener("click", () => {
    if (!sale.payable || busy) return;
    token = token || newToken();
    openDialog(sale.totalCents);
    act(dialog.dataset.payUrl, { token, lines: sale.lines, method: "card_terminal" }).then(() => {
      if (!current) $("terminal-close").hidden = false;
    });
  });

  $("terminal-end-of-day")?.addEventListener("click", () => {
    current = null;
    openDialog(null);
    $("terminal-kind").textContent = texts.endOfDay;
    act(dialog.dataset.endOfDayUrl).then(() => {
      if (!current) $("terminal-close").hidden = false;
    });
  });

  $("terminal-abort").addEventListener("click", () => act(current.urls.abort));
  $("terminal-recover").addEventListener("click", () => act(current.urls.recover));
  $("terminal-retry").addEventListener("click", () => act(current.urls.retry));
  $("terminal-cancel").addEventListener("click", async () => {
    await act(current.urls.cancel_order);
    if (current && current.order && current.order.state === "canceled") finish(true);
  });
  // Another payment method: the open order is canceled, the lines stay for cash or card.
  $("terminal-other").addEventListener("click", async () => {
    await act(current.urls.cancel_order);
    if (current && current.order && current.order.state === "canceled") finish(false);
  });
  $("terminal-new-sale").addEventListener("click", () => finish(true));
  $("terminal-close").addEventListener("click", () => finish(false));

  function finish(newSale) {
    clearTimeout(pollTimer);
    current = null;
    token = null;
    dialog.close();
    if (newSale) document.dispatchEvent(new CustomEvent("till:reset"));
    if (backToRefunds) {
      backToRefunds = false;
      openRefunds();
    }
  }

  // Refunds of card payments, for supervisors and the treasury. The list shows the pending
  // refunds of the municipality. A started refund runs on this till's terminal and is shown
  // like a payment.
  function showRefundsError(message) {
    $("refunds-error").textContent = message || "";
    $("refunds-error").hidden = !message;
  }

  function refundItem(item) {
    const row = $("refund-template").content.firstElementChild.cloneNode(true);
    row.querySelector(".refund-amount").textContent = money.format(item.amount_cents / 100);
    row.querySelector(".refund-order").textContent = item.order;
    row.querySelector(".refund-kassenzeichen").textContent = item.kassenzeichen;
    row.querySelector(".refund-reason").textContent = item.reason;
    row.querySelector(".refund-date").textContent = item.created;
    if (item.last_attempt) {
      const last = row.querySelector(".refund-last");
      last.textContent = `${refundTexts.last}: ${item.last_attempt.state_label}`;
      last.hidden = false;
    }
    row.querySelector(".refund-start").addEventListener("click", () => startRefund(item));
    return row;
  }

  async function openRefunds() {
    if (!refundsDialog) return;
    showRefundsError("");
    $("refunds-list").replaceChildren();
    $("refunds-empty").hidden = true;
    if (!refundsDialog.open) refundsDialog.showModal();
    try {
      const body = await request(refundsDialog.dataset.listUrl);
      $("refunds-list").replaceChildren(...body.refunds.map(refundItem));
      $("refunds-empty").hidden = body.refunds.length > 0;
    } catch (error) {
      showRefundsError(error.message === texts.unexpected ? texts.network : error.message);
    }
  }

  function startRefund(item) {
    if (busy) return;
    refundsDialog.close();
    current = null;
    backToRefunds = true;
    openDialog(item.amount_cents);
    $("terminal-kind").textContent = refundTexts.kind;
    act(item.start_url).then(() => {
      if (!current) $("terminal-close").hidden = false;
    });
  }

  $("terminal-refunds")?.addEventListener("click", openRefunds);
  $("refunds-close")?.addEventListener("click", () => refundsDialog.close());

  // Escape must not hide a running or unclear payment from the cashier.
  dialog.addEventListener("cancel", (event) => {
    if (current && (current.state === "running" || current.state === "unclear")) event.preventDefault();
  });
})();
