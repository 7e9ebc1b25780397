// Shared by the built-in pages (web chat, agents' console, KPIs): bundled in front of each page's own script.
window.KefuPage = Object.freeze({
  // Show the page in `lang` ("zh" or "en"): the texts of [data-i18n] nodes, [data-i18n-placeholder] placeholders
  // and the language button (#lang) come from `t(name)`.
  applyLanguage(lang, t) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((node) => {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    });
    const button = document.getElementById("lang");
    if (button) button.textContent = t("lang");
  },
  // The access key: one in the URL fragment (#key=...) is moved into `storage` under `name` and out of the address
  // bar; the stored one is returned.
  storedKey(storage, name) {
    const match = /(?:^|[#&])key=([^&]+)/.exec(location.hash);
    if (match) {
      storage.setItem(name, decodeURIComponent(match[1]));
      history.replaceState(null, "", location.pathname + location.search);  // keep the key out of the address bar
    }
    return storage.getItem(name);
  },
});
