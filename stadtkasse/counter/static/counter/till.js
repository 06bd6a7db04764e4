// The sale screen of a till: pick or scan products, adjust quantities, take the payment.
// The server prices every sale again; this script only shows what the cashier will get.
// Data comes from the JSON blocks "till-data" and "till-texts" (the CSP allows no inline
// scripts). Every payment request carries a token, so that a retry never books twice.
"use strict";

(() => {
  const data = JSON.parse(document.getElementById("till-data").textContent);
  const texts = JSON.parse(document.getElementById("till-texts").textContent);
  const MAX_QUANTITY = 100;
  const money = new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" });
  const $ = (id) => document.getElementById(id);

  const products = new Map(data.products.map((p) => [p.id, p]));
  const byBarcode = new Map(data.products.filter((p) => p.barcode).map((p) => [p.barcode, p]));

  let lines = [];
  let token = null;
  let busy = false;
  let nextKey = 1;

  const format = (cents) => money.format(cents / 100);
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => values[name] ?? "");

  function newToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // Parse euros as typed ("12,50", "1.000,00", "1.000", "10,-"); return cents, or null
  // when not an amount. The rule is that of parse_euros on the server: a comma is the
  // decimal sign, dots that group digits by three are thousands, another dot is a point.
  const THOUSANDS = /^\d{1,3}(?:\.\d{3})+$/;
  function parseEuros(text) {
    // "10,-" and "10,--" are whole euros, as price tags write them.
    let cleaned = text.replace(/[€\s\u00a0]/g, "").replace(/,-{1,2}$/, "");
    const [whole, decimals] = cleaned.split(/,(.*)/s);
    if (decimals !== undefined || THOUSANDS.test(cleaned)) {
      if (whole.includes(".") && !THOUSANDS.test(whole)) return null;
      cleaned = whole.replace(/\./g, "") + (decimals !== undefined ? `.${decimals}` : "");
    }
    const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(cleaned);
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
  }

  // Tell whether the server rejects the cash given for a total. It takes change of 500 €
  // or more (the largest banknote) as a typing error.
  function cashTooHigh(cents, due) {
    return cents - due >= data.max_change_cents;
  }

  function validQuantity(value) {
    return /^\d+$/.test(String(value)) && Number(value) >= 1 && Number(value) <= MAX_QUANTITY;
  }

  function total() {
    return lines.reduce((sum, line) => sum + (validQuantity(line.quantity) ? line.unitCents * Number(line.quantity) : 0), 0);
  }

  function saleIsValid() {
    return lines.length > 0 && lines.every((line) => validQuantity(line.quantity));
  }

  function changed() {
    token = null;  // another sale now: a new request, not a retry
    render();
  }

  // ---- Notices -------------------------------------------------------------------------

  function notify(message, kind = "error") {
    const notice = $("notice");
    notice.textContent = message;
    notice.className = kind;
    notice.hidden = !message;
  }

  // ---- Lines ---------------------------------------------------------------------------

  function addLine(product, variant, answers) {
    const hasAnswers = answers && Object.keys(answers).length > 0;
    const existing = !hasAnswers && lines.find((l) => l.variantId === variant.id && !l.answers);
    const key = existing ? existing.key : nextKey++;
    if (existing) {
      if (validQuantity(existing.quantity) && Number(existing.quantity) < MAX_QUANTITY) {
        existing.quantity = Number(existing.quantity) + 1;
      }
    } else {
      lines.push({
        key,
        productId: product.id,
        variantId: variant.id,
        label: variant.label,
        unitCents: variant.price_cents,
        quantity: 1,
        answers: hasAnswers ? answers : null,
        details: hasAnswers ? product.fields.filter((f) => answers[f.key]).map((f) => `${f.label}: ${displayAnswer(f, answers[f.key])}`).join(" · ") : "",
      });
    }
    notify("");
    changed();
    // On a small screen the list scrolls, so show the cashier the line just added or counted up.
    $("lines").querySelector(`[data-key="${key}"]`)?.scrollIntoView({ block: "nearest" });
  }

  function displayAnswer(field, value) {
    const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    return iso && field.kind.includes("date") ? `${iso[3]}.${iso[2]}.${iso[1]}` : value;
  }

  // Start adding a product: ask for a price option or the application data where needed.
  function choose(product, variantId) {
    if (product.fields.length > 0) {
      openFields(product, variantId);
    } else if (variantId != null) {
      addLine(product, product.variants.find((v) => v.id === variantId));
    } else if (product.variants.length === 1) {
      addLine(product, product.variants[0]);
    } else {
      openVariants(product);
    }
  }

  function render() {
    const list = $("lines");
    const template = $("line-template");
    list.replaceChildren();
    for (const line of lines) {
      const item = template.content.firstElementChild.cloneNode(true);
      item.dataset.key = line.key;
      item.querySelector(".line-name").textContent = line.label;
      item.querySelector(".line-details").textContent = line.details;
      item.querySelector(".line-details").hidden = !line.details;
      item.querySelector(".line-unit").textContent = fill(texts.unit, { price: format(line.unitCents) });
      const input = item.querySelector(".qty-input");
      input.value = line.quantity;
      input.setAttribute("aria-label", fill(texts.quantity, { name: line.label }));
      const ok = validQuantity(line.quantity);
      item.classList.toggle("invalid", !ok);
      input.setAttribute("aria-invalid", ok ? "false" : "true");
      const error = item.querySelector(".line-error");
      const empty = String(line.quantity).trim() === "";
      const message = empty ? texts.missing_quantity : texts.bad_quantity;
      error.textContent = ok ? "" : fill(message, { quantity: line.quantity, maximum: MAX_QUANTITY });
      error.hidden = ok;
      item.querySelector(".qty-minus").disabled = !ok || Number(line.quantity) <= 1;
      item.querySelector(".qty-plus").disabled = !ok || Number(line.quantity) >= MAX_QUANTITY;
      item.querySelector(".line-total").textContent = ok ? format(line.unitCents * Number(line.quantity)) : "–";
      item.querySelector(".remove").setAttribute("aria-label", fill(texts.remove, { name: line.label }));
      list.append(item);
    }
    $("empty").hidden = lines.length > 0;
    // A line with a wrong quantity has no amount, so neither has the sale.
    $("total").textContent = lines.length && !saleIsValid() ? "–" : format(total());
    const payable = saleIsValid();
    $("pay-cash").disabled = !payable;
    $("pay-card").disabled = !payable;
    $("clear").disabled = lines.length === 0;
    // Other payment options (counter/paylink.js) follow the sale through this event.
    document.dispatchEvent(new CustomEvent("till:sale", { detail: { payable, totalCents: total(), lines: requestLines() } }));
  }

  // The lines as a sale request names them; the server prices them again.
  function requestLines() {
    return lines.map((l) => ({
      product: l.productId, variant: l.variantId, quantity: Number(l.quantity),
      ...(l.answers ? { answers: l.answers } : {}),
    }));
  }

  function lineOf(element) {
    const key = Number(element.closest(".line")?.dataset.key);
    return lines.find((l) => l.key === key);
  }

  $("lines").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const line = button && lineOf(button);
    if (!line) return;
    if (button.classList.contains("remove")) {
      lines = lines.filter((l) => l !== line);
      changed();
      $("scan").focus();
      return;
    }
    const step = button.classList.contains("qty-plus") ? 1 : button.classList.contains("qty-minus") ? -1 : 0;
    if (step && validQuantity(line.quantity)) {
      line.quantity = Math.min(MAX_QUANTITY, Math.max(1, Number(line.quantity) + step));
      changed();
      $("lines").querySelector(`[data-key="${line.key}"] .${step > 0 ? "qty-plus" : "qty-minus"}`)?.focus();
    }
  });

  // Typed quantities are taken on change (Enter or leaving the field), so typing "12" does
  // not redraw the list after the "1".
  $("lines").addEventListener("change", (event) => {
    if (!event.target.classList.contains("qty-input")) return;
    const line = lineOf(event.target);
    if (!line) return;
    const value = event.target.value.trim();
    line.quantity = /^\d+$/.test(value) ? Number(value) : value;
    changed();
  });

  $("lines").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.classList.contains("qty-input")) {
      event.target.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  $("clear").addEventListener("click", () => {
    if (lines.length && window.confirm(texts.confirm_clear)) {
      lines = [];
      changed();
      $("scan").focus();
    }
  });

  // ---- Product buttons, search and scanner ---------------------------------------------

  document.querySelector(".catalog").addEventListener("click", (event) => {
    const button = event.target.closest("button.product");
    if (!button) return;
    const product = products.get(Number(button.dataset.product));
    const variantId = button.dataset.variant ? Number(button.dataset.variant) : null;
    if (product) choose(product, variantId);
  });

  $("search").addEventListener("input", () => {
    const words = $("search").value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const section of document.querySelectorAll(".catalog .category")) {
      let inSection = 0;
      for (const button of section.querySelectorAll("button.product")) {
        const match = words.every((word) => button.dataset.search.includes(word));
        button.hidden = !match;
        if (match) inSection++;
      }
      section.hidden = inSection === 0;
      shown += inSection;
    }
    $("no-match").hidden = shown > 0;
  });

  $("scan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("scan").value.trim();
    $("scan").value = "";
    notify("");  // The notice about an earlier code no longer applies.
    if (!code) return;
    const product = byBarcode.get(code);
    if (product) {
      choose(product, null);
      return;
    }
    // Not sold here: ask the server why (unknown code, or a product of another place).
    try {
      const response = await fetch(`${data.urls.barcode}?code=${encodeURIComponent(code)}`, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const body = await response.json();
      if (response.ok && products.has(body.product)) {
        choose(products.get(body.product), null);
      } else {
        notify(body.error ? body.error.message : texts.unexpected);
      }
    } catch (error) {
      notify(texts.network);
    }
    $("scan").focus();
  });

  // A scanner types into whatever has the focus: send digits typed outside any field to the
  // scan field, so that scanning works after a tap on a product button.
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || document.querySelector("dialog[open]")) return;
    const target = event.target;
    if (target.matches?.("input, select, textarea")) return;
    if (/^[0-9A-Za-z]$/.test(event.key)) {
      $("scan").focus();
    }
  });

  // ---- Dialogs --------------------------------------------------------------------------

  for (const button of document.querySelectorAll("dialog [data-close]")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }

  // A scanner types characters and then Enter. While the price dialog is open, that Enter
  // would choose the focused price, so a scan there is held back and named instead.
  let variantScan = "";
  $("variant-dialog").addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (/^[0-9A-Za-z]$/.test(event.key)) {
      variantScan += event.key;
      event.preventDefault();
    } else if (event.key === "Enter" && variantScan) {
      event.preventDefault();
      const error = $("variant-error");
      error.textContent = fill(texts.scan_in_variant, { code: variantScan, name: variantProduct.name });
      error.hidden = false;
      variantScan = "";
    }
  });

  let variantProduct = null;
  function openVariants(product) {
    variantProduct = product;
    variantScan = "";
    $("variant-error").hidden = true;
    $("variant-title").textContent = fill(texts.choose_variant, { name: product.name });
    const choices = $("variant-choices");
    choices.replaceChildren();
    for (const variant of product.variants) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "product";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = variant.name;
      const price = document.createElement("span");
      price.className = "price";
      price.textContent = variant.price;
      button.append(name, price);
      button.addEventListener("click", () => {
        $("variant-dialog").close();
        addLine(product, variant);
      });
      choices.append(button);
    }
    $("variant-dialog").showModal();
    choices.querySelector("button")?.focus();
  }

  let fieldsFor = null;

  function openFields(product, variantId) {
    fieldsFor = { product, variantId };
    $("fields-title").textContent = fill(texts.fields_for, { name: product.name });
    const box = $("fields-inputs");
    box.replaceChildren();
    product.fields.forEach((field, index) => {
      const id = `field-${index}`;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = field.label;
      let input;
      if (field.kind === "choice") {
        input = document.createElement("select");
        input.append(new Option("", ""));
        for (const choice of field.choices) input.append(new Option(choice, choice));
      } else {
        input = document.createElement("input");
        input.type = "text";
        // A typed TT.MM.JJJJ is faster at the counter than a date picker.
        if (field.kind === "date" || field.kind === "birth_date") input.placeholder = texts.date_placeholder;
        if (field.kind === "number") input.inputMode = "numeric";
        input.autocomplete = "off";
      }
      input.id = id;
      input.name = field.key;
      input.required = field.required;
      box.append(label, input);
      if (field.help_text) {
        const help = document.createElement("p");
        help.className = "muted small";
        help.textContent = field.help_text;
        box.append(help);
      }
    });
    $("fields-error").hidden = true;
    $("fields-dialog").showModal();
    box.querySelector("input, select")?.focus();
  }

  // Parse TT.MM.JJJJ (or an ISO date); return a Date, or null for no real calendar day.
  function parseDate(text) {
    const german = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text);
    const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    const [y, m, d] = german ? [german[3], german[2], german[1]].map(Number) : iso ? [iso[1], iso[2], iso[3]].map(Number) : [];
    if (!y) return null;
    const date = new Date(y, m - 1, d);
    return date.getFullYear() === y && date.getMonth() === m - 1 && date.getDate() === d ? date : null;
  }

  function ageOn(birth, day) {
    let years = day.getFullYear() - birth.getFullYear();
    if (day.getMonth() < birth.getMonth() || (day.getMonth() === birth.getMonth() && day.getDate() < birth.getDate())) years--;
    return years;
  }

  $("fields-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const { product, variantId } = fieldsFor;
    const answers = {};
    let age = null;
    for (const field of product.fields) {
      const value = $("fields-form").elements[field.key].value.trim();
      if (!value) {
        if (field.required) return showFieldsError(fill(texts.required, { field: field.label }));
        continue;
      }
      if (field.kind === "date" || field.kind === "birth_date") {
        const date = parseDate(value);
        if (!date) return showFieldsError(fill(texts.bad_date, { field: field.label }));
        if (field.kind === "birth_date") age = ageOn(date, new Date());
      }
      answers[field.key] = value;
    }
    let variant;
    if (product.age_priced && age !== null) {
      variant = product.variants.find((v) => (v.min_age == null || age >= v.min_age) && (v.max_age == null || age <= v.max_age));
      if (!variant) return showFieldsError(fill(texts.no_band, { name: product.name }));
    } else if (variantId != null) {
      variant = product.variants.find((v) => v.id === variantId);
    } else {
      variant = product.variants[0];
    }
    $("fields-dialog").close();
    addLine(product, variant, answers);
  });

  function showFieldsError(message) {
    $("fields-error").textContent = message;
    $("fields-error").hidden = false;
  }

  // ---- Payment ---------------------------------------------------------------------------

  function updateChange() {
    const due = total();
    const cents = parseEuros($("tendered").value);
    const error = $("cash-error");
    if ($("tendered").value.trim() === "") {
      $("cash-change").textContent = "–";
      error.hidden = true;
    } else if (cents === null) {
      $("cash-change").textContent = "–";
      error.textContent = texts.bad_amount;
      error.hidden = false;
    } else if (cents < due) {
      $("cash-change").textContent = "–";
      error.textContent = fill(texts.missing_cash, { amount: format(due - cents) });
      error.hidden = false;
    } else if (cashTooHigh(cents, due)) {
      $("cash-change").textContent = "–";
      error.textContent = fill(texts.too_much_cash, { given: format(cents), total: format(due) });
      error.hidden = false;
    } else {
      $("cash-change").textContent = format(cents - due);
      error.hidden = true;
    }
  }

  $("pay-cash").addEventListener("click", () => {
    if (!saleIsValid()) return;
    const due = total();
    $("cash-due").textContent = format(due);
    $("tendered").value = "";
    for (const button of $("quick-cash").querySelectorAll("[data-cents]")) {
      button.disabled = Number(button.dataset.cents) < due;
    }
    updateChange();
    $("cash-dialog").showModal();
    $("tendered").focus();
  });

  $("tendered").addEventListener("input", updateChange);

  $("quick-cash").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const cents = button.dataset.exact ? total() : Number(button.dataset.cents);
    $("tendered").value = (cents / 100).toFixed(2).replace(".", ",");
    updateChange();
    $("cash-submit").focus();
  });

  $("cash-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("tendered").value.trim();
    const cents = text === "" ? total() : parseEuros(text);
    if (cents === null || cents < total() || cashTooHigh(cents, total())) {
      updateChange();
      $("tendered").focus();
      return;
    }
    submitSale("cash", cents, $("cash-error"));
  });

  $("pay-card").addEventListener("click", () => {
    if (!saleIsValid()) return;
    $("card-due").textContent = format(total());
    $("card-error").hidden = true;
    $("card-dialog").showModal();
    $("card-submit").focus();
  });

  $("card-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitSale("card_external", null, $("card-error"));
  });

  function csrfToken() {
    return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
  }

  async function submitSale(method, tenderedCents, errorBox) {
    if (busy) return;
    busy = true;
    token = token || newToken();
    const buttons = document.querySelectorAll("#cash-submit, #card-submit");
    buttons.forEach((b) => { b.disabled = true; });
    errorBox.hidden = true;
    try {
      const response = await fetch(data.urls.sale, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({
          token,
          lines: lines.map((l) => ({
            product: l.productId, variant: l.variantId, quantity: Number(l.quantity),
            ...(l.answers ? { answers: l.answers } : {}),
          })),
          method,
          tendered_cents: tenderedCents,
        }),
      });
      let body = null;
      try { body = await response.json(); } catch (error) { body = null; }
      if (response.ok && body) {
        showDone(body);
      } else {
        errorBox.textContent = body && body.error ? body.error.message : texts.unexpected;
        errorBox.hidden = false;
      }
    } catch (error) {
      errorBox.textContent = texts.network;
      errorBox.hidden = false;
    } finally {
      busy = false;
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  function showDone(result) {
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
    const cash = result.change_cents !== null && result.change_cents !== undefined;
    $("done-change").textContent = cash ? format(result.change_cents) : "";
    $("done-change-line").hidden = !cash;
    $("done-card-line").hidden = cash;
    $("done-total").textContent = format(result.total_cents);
    $("done-code").textContent = result.order;
    $("done-kassenzeichen").textContent = result.kassenzeichen;
    $("done-receipt").href = result.receipt_url;
    $("done-pdf").href = result.receipt_pdf_url;
    $("done-dialog").showModal();
    $("new-sale").focus();
  }

  function newSale() {
    lines = [];
    changed();
    notify("");
    $("search").value = "";
    $("search").dispatchEvent(new Event("input"));
    $("scan").focus();
  }

  $("new-sale").addEventListener("click", () => $("done-dialog").close());
  // However the dialog closes (button, Escape), the next sale starts empty.
  $("done-dialog").addEventListener("close", newSale);
  // Another payment option finished the sale.
  document.addEventListener("till:reset", newSale);

  render();
  $("scan").focus();
})();
