// The KPI page: fetches /v1/kpis and /v1/kpis/csat, draws hand-written SVG charts, refreshes itself.
// No library and no network beyond this API. Definitions: docs/kpis.md.
(function () {
  "use strict";
  const HOUR = 3600 * 1000;
  const KEY_STORE = "kefu-kpi-key";
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = ["#2e90fa", "#12b76a", "#f79009", "#7a5af8", "#f04438"];
  const COUNTS = ["customer_messages", "conversations", "bot_replies", "handoffs", "contained_conversations",
    "resolved_conversations", "unknown_intent", "negative_emotion", "csat_count", "csat_sum"];
  const $ = (id) => document.getElementById(id);
  const refreshSeconds = Number(document.body.dataset.refresh) || 30;
  let timer = null;

  function apiKey() {
    KefuPage.storedKey(sessionStorage, KEY_STORE);  // a key in the URL fragment moves into the tab's storage
    const typed = $("key").value.trim();
    if (typed) sessionStorage.setItem(KEY_STORE, typed);
    return sessionStorage.getItem(KEY_STORE);
  }

  async function get(path, params) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null));
    const response = await fetch(path + "?" + query, { headers: { "X-API-Key": apiKey() || "" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(response.status + ": " + (body.detail || body.error || response.statusText));
    return body;
  }

  // -- aggregation -------------------------------------------------------------------------------------------
  function emptySums() {
    const sums = { latencyWeight: 0, p50: 0, p95: 0, p99: 0 };
    COUNTS.forEach((c) => { sums[c] = 0; });
    return sums;
  }

  function addRow(sums, row) {
    COUNTS.forEach((c) => { sums[c] += Number(row[c]) || 0; });
    if (row.latency_p50_ms != null && row.bot_replies > 0) {  // reply-weighted mean of the rows' quantiles
      sums.latencyWeight += row.bot_replies;
      sums.p50 += row.latency_p50_ms * row.bot_replies;
      sums.p95 += row.latency_p95_ms * row.bot_replies;
      sums.p99 += row.latency_p99_ms * row.bot_replies;
    }
  }

  const ratio = (a, b) => (b > 0 ? a / b : null);

  function kpis(s) {
    return {
      volume: s.customer_messages,
      conversations: s.conversations,
      containment: ratio(s.contained_conversations, s.conversations),
      handoff_rate: ratio(s.handoffs, s.conversations),
      fcr: ratio(s.resolved_conversations, s.conversations),
      csat_mean: ratio(s.csat_sum, s.csat_count),
      latency_p50: ratio(s.p50, s.latencyWeight),
      latency_p95: ratio(s.p95, s.latencyWeight),
      latency_p99: ratio(s.p99, s.latencyWeight),
      negative_rate: ratio(s.negative_emotion, s.customer_messages),
      unknown_rate: ratio(s.unknown_intent, s.customer_messages),
    };
  }

  function hourly(rows, since, until) {
    const buckets = new Map();
    for (let t = since; t < until; t += HOUR) buckets.set(t, emptySums());
    const total = emptySums();
    rows.forEach((row) => {
      const t = Date.parse(row.hour);
      if (!buckets.has(t)) buckets.set(t, emptySums());
      addRow(buckets.get(t), row);
      addRow(total, row);
    });
    const hours = [...buckets.keys()].sort((a, b) => a - b);
    return { hours, values: hours.map((h) => kpis(buckets.get(h))), total: kpis(total) };
  }

  // -- formatting --------------------------------------------------------------------------------------------
  const fmt = {
    count: (v) => (v == null ? "–" : Math.round(v).toLocaleString("en-US")),
    pct: (v) => (v == null ? "–" : (100 * v).toFixed(1) + "%"),
    csat: (v) => (v == null ? "–" : v.toFixed(2)),
    ms: (v) => (v == null ? "–" : Math.round(v).toLocaleString("en-US") + " ms"),
  };
  const TILE_FORMAT = { volume: fmt.count, conversations: fmt.count, containment: fmt.pct, handoff_rate: fmt.pct,
    fcr: fmt.pct, csat_mean: fmt.csat, latency_p95: fmt.ms, negative_rate: fmt.pct, unknown_rate: fmt.pct };
  const hourLabel = (t) => new Date(t).toISOString().slice(5, 13).replace("T", " ") + "h";

  // -- charts ------------------------------------------------------------------------------------------------
  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text != null) node.textContent = text;
    return node;
  }

  const BOX = { left: 48, right: 630, top: 24, bottom: 210 };

  // A round axis maximum: four gridline steps of 1, 2, 2.5 or 5 times a power of ten (whole steps for counts).
  function niceMax(value, whole) {
    const raw = Math.max(value, 1e-9) / 4;
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
    return 4 * (whole ? Math.max(1, Math.ceil(step)) : step);
  }

  function frame(svg, maxY, format) {
    svg.replaceChildren();
    for (let i = 0; i <= 4; i += 1) {
      const y = BOX.bottom - ((BOX.bottom - BOX.top) * i) / 4;
      svg.append(el("line", { class: "grid", x1: BOX.left, x2: BOX.right, y1: y, y2: y }));
      svg.append(el("text", { x: BOX.left - 4, y: y + 3, "text-anchor": "end" }, format((maxY * i) / 4)));
    }
    svg.append(el("line", { class: "axis", x1: BOX.left, x2: BOX.right, y1: BOX.bottom, y2: BOX.bottom }));
  }

  function xLabels(svg, labels, xOf) {
    const step = Math.max(1, Math.ceil(labels.length / 6));
    labels.forEach((label, i) => {
      if (i % step === 0) svg.append(el("text", { x: xOf(i), y: BOX.bottom + 14, "text-anchor": "middle" }, label));
    });
  }

  function legend(svg, series) {
    series.forEach((s, i) => {
      svg.append(el("rect", { x: BOX.left + i * 120, y: 6, width: 10, height: 10, fill: s.color }));
      svg.append(el("text", { class: "legend", x: BOX.left + 14 + i * 120, y: 15 }, s.name));
    });
  }

  function lineChart(svg, hours, series, format, fixedMax) {
    const all = series.flatMap((s) => s.values).filter((v) => v != null);
    const maxY = fixedMax || niceMax(Math.max(0, ...all), format === fmt.count);
    frame(svg, maxY, format);
    const n = Math.max(1, hours.length - 1);
    const xOf = (i) => BOX.left + ((BOX.right - BOX.left) * i) / n;
    const yOf = (v) => BOX.bottom - ((BOX.bottom - BOX.top) * v) / maxY;
    series.forEach((s) => {
      let points = [];
      const flush = () => {
        if (points.length > 1) svg.append(el("polyline", { class: "series", stroke: s.color, points: points.join(" ") }));
        if (points.length === 1) {
          const [x, y] = points[0].split(",");
          svg.append(el("circle", { cx: x, cy: y, r: 3, fill: s.color }));
        }
        points = [];
      };
      s.values.forEach((v, i) => (v == null ? flush() : points.push(xOf(i).toFixed(1) + "," + yOf(v).toFixed(1))));
      flush();
    });
    xLabels(svg, hours.map(hourLabel), xOf);
    legend(svg, series);
    svg.dataset.points = String(all.length);
  }

  function barChart(svg, labels, values, format, color) {
    const maxY = niceMax(Math.max(1, ...values) * 1.15, true);
    frame(svg, maxY, format);
    const width = (BOX.right - BOX.left) / Math.max(1, values.length);
    const xOf = (i) => BOX.left + width * (i + 0.5);
    values.forEach((v, i) => {
      const h = ((BOX.bottom - BOX.top) * v) / maxY;
      svg.append(el("rect", { x: xOf(i) - width * 0.35, y: BOX.bottom - h, width: width * 0.7, height: h, fill: color }));
      if (values.length <= 31 && v > 0) {
        svg.append(el("text", { class: "value", x: xOf(i), y: BOX.bottom - h - 3, "text-anchor": "middle" }, format(v)));
      }
    });
    xLabels(svg, labels, xOf);
    svg.dataset.points = String(values.filter((v) => v > 0).length);
  }

  // -- page --------------------------------------------------------------------------------------------------
  function fillSelect(select, values, keep) {
    const current = select.value;
    const options = [...new Set(values)].sort();
    select.replaceChildren(...keep.map(([v, t]) => new Option(t, v)), ...options.map((v) => new Option(v || "(none)", v)));
    if ([...select.options].some((o) => o.value === current)) select.value = current;
  }

  async function load() {
    const until = Math.ceil((Date.now() + 1) / HOUR) * HOUR;
    const since = until - Number($("range").value) * HOUR;
    const params = { tenant: $("tenant").value, channel: $("channel").value, since: new Date(since).toISOString(),
      until: new Date(until).toISOString() };
    document.body.dataset.state = "loading";
    try {
      const [data, csat] = await Promise.all([
        get("/v1/kpis", { ...params, intent: $("intent").value }),
        get("/v1/kpis/csat", params),
      ]);
      render(data, csat, since, until);
      $("status").textContent = `${data.rows.length} rows · tenant ${data.tenant} · updated ${new Date().toLocaleTimeString()}`
        + ` · refreshes every ${refreshSeconds} s` + (data.truncated ? " · TRUNCATED" : "");
      document.body.dataset.state = "ready";
    } catch (error) {
      $("status").textContent = "Could not load KPIs: " + error.message;
      $("key-label").hidden = !/^40[13]/.test(error.message);
      document.body.dataset.state = "error";
    }
  }

  function render(data, csat, since, until) {
    if (data.tenant !== "*" && !$("tenant").value) fillSelect($("tenant"), [data.tenant], []);
    else fillSelect($("tenant"), data.rows.map((r) => r.tenant_id), [["", "all tenants"]]);
    if (!$("intent").value) fillSelect($("intent"), data.rows.map((r) => r.intent), [["", "all"]]);
    const { hours, values, total } = hourly(data.rows, since, until);
    Object.entries(TILE_FORMAT).forEach(([kpi, format]) => {
      document.querySelector(`[data-kpi="${kpi}"] b`).textContent = format(total[kpi]);
    });
    const series = (name, kpi, i) => ({ name, color: COLORS[i], values: values.map((v) => v[kpi]) });
    lineChart($("chart-volume"), hours, [series("messages", "volume", 0), series("conversations", "conversations", 1)],
      fmt.count);
    lineChart($("chart-rates"), hours, [series("containment", "containment", 1), series("handoff", "handoff_rate", 4),
      series("FCR", "fcr", 3)], fmt.pct, 1);
    lineChart($("chart-csat"), hours, [series("CSAT mean", "csat_mean", 0)], fmt.csat, 5);
    barChart($("chart-csat-dist"), ["1", "2", "3", "4", "5"], ["1", "2", "3", "4", "5"].map((s) => csat.csat[s] || 0),
      fmt.count, COLORS[3]);
    lineChart($("chart-latency"), hours, [series("p50", "latency_p50", 1), series("p95", "latency_p95", 2),
      series("p99", "latency_p99", 4)], (v) => Math.round(v).toString());
    lineChart($("chart-quality"), hours, [series("negative emotion", "negative_rate", 4),
      series("unknown intent", "unknown_rate", 2)], fmt.pct);
  }

  function schedule() {
    clearInterval(timer);
    timer = setInterval(load, refreshSeconds * 1000);
  }

  ["tenant", "channel", "intent", "range"].forEach((id) => $(id).addEventListener("change", () => { load(); schedule(); }));
  $("key").addEventListener("change", () => { load(); schedule(); });
  fillSelect($("tenant"), [], [["", "all tenants"]]);
  load();
  schedule();
})();
