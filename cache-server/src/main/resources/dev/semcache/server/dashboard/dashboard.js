/*
 * semcache operator dashboard. Licensed under the Apache License, Version 2.0.
 *
 * Plain JavaScript with no dependencies: it reads the JSON API of the server that served it
 * (GET /v1/namespaces, /v1/namespaces/{ns}/stats and /analysis), draws its charts as inline SVG, and
 * changes a namespace's threshold with PUT /v1/namespaces/{ns}. It fetches nothing from anywhere else.
 */
'use strict';

const REFRESH_MS = 5000;
const KEY_STORAGE = 'semcache.api_key';
const NAMESPACE_STORAGE = 'semcache.namespace';

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ the API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the API with the key of this tab, if any; answers the JSON or throws an ApiError with the API's message. */
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) {
    headers.Authorization = 'Bearer ' + key;
  }
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'unreachable', 'the server did not answer (' + e.message + ')');
  }
  let json = null;
  try {
    json = await res.json();
  } catch (e) {
    json = null; // not JSON: the status says enough
  }
  if (!res.ok) {
    const err = (json && json.error) || {};
    throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || res.status + ' ' + res.statusText);
  }
  return json;
}

const nsPath = (ns) => '/v1/namespaces/' + encodeURIComponent(ns);

// ------------------------------------------------------------------ formatting

const DASH = '–';
const pct = (x, digits = 1) => (x == null || !isFinite(x) ? DASH : (x * 100).toFixed(digits) + '%');
const count = (n) => (n == null ? DASH : Number(n).toLocaleString('en-US'));
const thr = (x) => (x == null ? DASH : Number(x).toFixed(3));
const clock = (date) => date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const hourMinute = (date) => date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });

function setText(id, text) {
  const e = $(id);
  if (e.textContent !== text) {
    e.textContent = text;
  }
}

function setStatus(state, text) {
  const s = $('status');
  s.dataset.state = state;
  s.className = 'status ' + state;
  s.textContent = text;
}

function setMessage(state, text) {
  const m = $('threshold-message');
  m.className = 'message ' + state;
  m.textContent = text;
}

// ------------------------------------------------------------------ SVG charts

const SVG_NS = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs, parent, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    e.setAttribute(k, v);
  }
  if (text != null) {
    e.textContent = text;
  }
  if (parent) {
    parent.appendChild(e);
  }
  return e;
}

/** Round tick values covering [lo, hi], about n of them, at 1, 2 or 5 times a power of ten. */
function ticks(lo, hi, n) {
  const span = hi - lo;
  if (!(span > 0)) {
    return [lo];
  }
  const raw = span / n;
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toFixed(10)));
  }
  return out;
}

/**
 * One plot area in an SVG: linear x and y scales, axes with ticks, and the marks the charts need. Several
 * plots may share one SVG (the what-if chart stacks two).
 */
class Plot {
  constructor(svg, box, xDomain, yDomain, options = {}) {
    this.svg = svg;
    this.box = box; // {left, top, width, height} in SVG pixels
    this.xDomain = xDomain;
    this.yDomain = yDomain;
    this.options = options;
    this.g = svgEl('g', { class: options.className || 'plot' }, svg);
  }

  x(v) {
    const [a, b] = this.xDomain;
    return this.box.left + ((v - a) / (b - a)) * this.box.width;
  }

  y(v) {
    const [a, b] = this.yDomain;
    return this.box.top + this.box.height - ((v - a) / (b - a)) * this.box.height;
  }

  axes(xFormat, yFormat, { xTicks = 6, yTicks = 4, xLabels = true } = {}) {
    const { left, top, width, height } = this.box;
    for (const v of ticks(this.yDomain[0], this.yDomain[1], yTicks)) {
      const y = this.y(v);
      svgEl('line', { x1: left, x2: left + width, y1: y, y2: y, class: 'grid' }, this.g);
      svgEl('text', { x: left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, this.g, yFormat(v));
    }
    for (const v of xTicks > 0 ? ticks(this.xDomain[0], this.xDomain[1], xTicks) : []) {
      const x = this.x(v);
      svgEl('line', { x1: x, x2: x, y1: top + height, y2: top + height + 4, class: 'axis' }, this.g);
      if (xLabels) {
        svgEl('text', { x, y: top + height + 17, class: 'tick', 'text-anchor': 'middle' }, this.g, xFormat(v));
      }
    }
    svgEl('line', { x1: left, x2: left + width, y1: top + height, y2: top + height, class: 'axis' }, this.g);
  }

  /** A line through [x, y] points; a null y breaks it (a gap, not a drop to zero); a lone point gets a dot. */
  line(points, className) {
    const runs = [[]];
    for (const p of points) {
      if (p[1] == null) {
        runs.push([]);
      } else {
        runs[runs.length - 1].push(p);
      }
    }
    let d = '';
    for (const run of runs) {
      run.forEach(([x, y], i) => {
        d += (i === 0 ? 'M' : 'L') + this.x(x).toFixed(1) + ' ' + this.y(y).toFixed(1);
      });
    }
    svgEl('path', { d, class: className, fill: 'none' }, this.g);
    this.dots(runs.filter((r) => r.length === 1).map((r) => r[0]), className.replace('-line', '-dot'));
  }

  dots(points, className) {
    for (const [x, y] of points) {
      if (y != null) {
        svgEl('circle', { cx: this.x(x), cy: this.y(y), r: 2.5, class: className }, this.g);
      }
    }
  }

  /** A filled band between lower and upper y for each x; a null breaks it. */
  band(points, className) {
    let run = [];
    const flush = () => {
      if (run.length > 0) {
        const top = run.map(([x, , hi]) => this.x(x).toFixed(1) + ' ' + this.y(hi).toFixed(1));
        const bottom = run.slice().reverse().map(([x, lo]) => this.x(x).toFixed(1) + ' ' + this.y(lo).toFixed(1));
        svgEl('path', { d: 'M' + top.join('L') + 'L' + bottom.join('L') + 'Z', class: className }, this.g);
      }
      run = [];
    };
    for (const p of points) {
      if (p[1] == null || p[2] == null) {
        flush();
      } else {
        run.push(p);
      }
    }
    flush();
  }

  /** Bars from x0 to x1, stacked: each layer is {values, className}. */
  stackedBars(x0s, width, layers) {
    for (let i = 0; i < x0s.length; i++) {
      let base = 0;
      for (const layer of layers) {
        const v = layer.values[i];
        if (v > 0) {
          const y1 = this.y(base + v);
          const y0 = this.y(base);
          const x = this.x(x0s[i]);
          const w = Math.max(1, this.x(x0s[i] + width) - x - 0.5);
          const bar = svgEl('rect', { x, y: y1, width: w, height: Math.max(0.5, y0 - y1), class: layer.className }, this.g);
          svgEl('title', {}, bar, layer.label + ' ' + x0s[i].toFixed(3) + '–' + (x0s[i] + width).toFixed(3) + ': ' + v);
          base += v;
        }
      }
    }
  }

  vline(v, label, className, anchorEnd) {
    if (v == null || v < this.xDomain[0] || v > this.xDomain[1]) {
      return;
    }
    const x = this.x(v);
    svgEl('line', { x1: x, x2: x, y1: this.box.top, y2: this.box.top + this.box.height, class: className }, this.g);
    if (label) {
      svgEl('text', { x: x + (anchorEnd ? -4 : 4), y: this.box.top + 11, class: 'mark ' + className,
        'text-anchor': anchorEnd ? 'end' : 'start' }, this.g, label);
    }
  }

  hline(v, label, className) {
    if (v == null || v < this.yDomain[0] || v > this.yDomain[1]) {
      return;
    }
    const y = this.y(v);
    svgEl('line', { x1: this.box.left, x2: this.box.left + this.box.width, y1: y, y2: y, class: className }, this.g);
    if (label) {
      svgEl('text', { x: this.box.left + this.box.width - 4, y: y - 4, class: 'mark ' + className,
        'text-anchor': 'end' }, this.g, label);
    }
  }

  shade(x0, x1, label) {
    const a = this.x(Math.max(x0, this.xDomain[0]));
    const b = this.x(Math.min(x1, this.xDomain[1]));
    if (b > a) {
      svgEl('rect', { x: a, y: this.box.top, width: b - a, height: this.box.height, class: 'uncovered' }, this.g);
      if (label && b - a > 60) {
        svgEl('text', { x: (a + b) / 2, y: this.box.top + this.box.height - 8, class: 'tick',
          'text-anchor': 'middle' }, this.g, label);
      }
    }
  }

  title(text) {
    svgEl('text', { x: this.box.left, y: this.box.top - 6, class: 'plot-title' }, this.g, text);
  }
}

/** A fresh SVG filling the container's width. */
function newSvg(container, height) {
  container.replaceChildren();
  const width = Math.max(280, container.clientWidth || 600);
  return [svgEl('svg', { width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' }, container), width];
}

function legend(container, items) {
  const div = document.createElement('div');
  div.className = 'legend';
  for (const [className, text] of items) {
    const item = document.createElement('span');
    const swatch = document.createElement('i');
    swatch.className = 'swatch ' + className;
    item.append(swatch, text);
    div.appendChild(item);
  }
  container.appendChild(div);
}

function empty(container, text) {
  const p = document.createElement('p');
  p.className = 'empty';
  p.textContent = text;
  container.replaceChildren(p);
}

// ------------------------------------------------------------------ the charts

/** Tick times at whole minutes or hours, about n of them. */
function timeTicks(fromMs, toMs, n) {
  const minute = 60000;
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * minute);
  const step = steps.find((s) => (toMs - fromMs) / s <= n) || steps[steps.length - 1];
  const out = [];
  for (let t = Math.ceil(fromMs / step) * step; t <= toMs; t += step) {
    out.push(t);
  }
  return out;
}

/** Hit rate over time; per-minute buckets are merged so that at most ~60 points show. */
function drawSeries(container, series) {
  const perMinute = (series && series.lookups) || [];
  if (perMinute.every((n) => !n)) {
    empty(container, 'No lookups yet.');
    return;
  }
  const merge = Math.max(1, Math.ceil(perMinute.length / 60));
  const lookups = [];
  const hits = [];
  for (let i = 0; i < perMinute.length; i += merge) {
    lookups.push(perMinute.slice(i, i + merge).reduce((a, b) => a + b, 0));
    hits.push(series.hits.slice(i, i + merge).reduce((a, b) => a + b, 0));
  }
  const start = Date.parse(series.start);
  const stepMs = series.step_s * 1000 * merge;
  const times = lookups.map((_, i) => start + i * stepMs);
  const [svg, width] = newSvg(container, 200);
  const box = { left: 44, top: 16, width: width - 90, height: 150 };
  // At least 30 steps wide, ending with the newest bucket: a young server's one minute is a bar, not the chart.
  const end = start + lookups.length * stepMs;
  const xDomain = [end - Math.max(lookups.length, 30) * stepMs, end];
  const maxLookups = Math.max(...lookups, 1);
  const volume = new Plot(svg, box, xDomain, [0, maxLookups * 1.1]);
  volume.stackedBars(times, stepMs, [{ values: lookups, className: 'volume', label: 'lookups' }]);
  for (const v of ticks(0, maxLookups * 1.1, 3).filter(Number.isInteger)) {
    svgEl('text', { x: box.left + box.width + 6, y: volume.y(v) + 4, class: 'tick volume-tick' }, volume.g, count(v));
  }
  const rate = new Plot(svg, box, xDomain, [0, 1]);
  rate.axes(null, (v) => pct(v, 0), { xLabels: false, xTicks: 0, yTicks: 4 });
  for (const t of timeTicks(xDomain[0], xDomain[1], 5)) {
    svgEl('text', { x: rate.x(t), y: box.top + box.height + 17, class: 'tick', 'text-anchor': 'middle' }, rate.g,
      hourMinute(new Date(t)));
  }
  const points = times.map((t, i) => [t + stepMs / 2, lookups[i] > 0 ? hits[i] / lookups[i] : null]);
  rate.line(points, 'hit-line');
  if (points.length <= 30) {
    rate.dots(points, 'hit-dot');
  }
  const per = merge === 1 ? 'minute' : merge + ' minutes';
  legend(container, [['hit-swatch', 'hit rate (left)'], ['volume', 'lookups per ' + per + ' (right)']]);
}

function drawCurve(container, analysis, readout) {
  const curve = (analysis && analysis.curve) || [];
  if (curve.length === 0) {
    empty(container, 'No analysis yet.');
    return;
  }
  const current = analysis.threshold;
  const recommended = analysis.recommended_threshold;
  const target = analysis.target_false_hit_rate;
  const lo = Math.min(curve[0].threshold, current != null ? current - 0.01 : 1);
  const xDomain = [Math.max(0, lo), 1];
  const uppers = curve.filter((p) => p.upper != null).map((p) => p.upper);
  const fhrMax = Math.min(1, Math.max(target * 2.5, ...uppers, 0.01) * 1.1);
  const [svg, width] = newSvg(container, 330);
  const left = 52;
  const plotWidth = width - left - 16;
  const top = new Plot(svg, { left, top: 22, width: plotWidth, height: 130 }, xDomain, [0, 1]);
  const bottom = new Plot(svg, { left, top: 186, width: plotWidth, height: 110 }, xDomain, [0, fhrMax]);
  const floor = analysis.audit_floor;
  for (const plot of [top, bottom]) {
    if (floor != null) {
      plot.shade(xDomain[0], floor, plot === bottom ? 'not audited below ' + thr(floor) : null);
    }
  }
  top.axes(thr, (v) => pct(v, 0), { xLabels: false });
  bottom.axes(thr, (v) => pct(v, fhrMax < 0.05 ? 1 : 0), { yTicks: 3 });
  top.title('Projected hit rate');
  bottom.title('False-hit rate with its 95% interval');
  top.line(curve.map((p) => [p.threshold, p.hit_rate]), 'hit-line');
  bottom.band(curve.map((p) => [p.threshold, p.lower, p.upper]), 'fhr-band');
  bottom.line(curve.map((p) => [p.threshold, p.false_hit_rate]), 'fhr-line');
  bottom.hline(target, 'target ' + pct(target), 'target');
  const recommendedLeftOfCurrent = recommended != null && current != null && recommended < current;
  for (const plot of [top, bottom]) {
    plot.vline(current, plot === top ? 'current ' + thr(current) : null, 'current', !recommendedLeftOfCurrent);
    if (recommended != null) {
      plot.vline(recommended, plot === top ? 'recommended ' + thr(recommended) : null, 'recommended',
        recommendedLeftOfCurrent);
    }
  }
  legend(container, [['hit-swatch', 'hit rate'], ['fhr-swatch', 'false-hit rate'], ['fhr-band', '95% interval'],
    ['current', 'current threshold'], ['recommended', 'recommended'], ['uncovered', 'not audited']]);

  // Pointing shows the figures at a threshold; clicking puts it in the threshold box.
  const cursor = svgEl('line', { y1: 22, y2: 296, class: 'cursor', visibility: 'hidden' }, svg);
  const nearest = (event) => {
    const r = svg.getBoundingClientRect();
    const v = xDomain[0] + ((event.clientX - r.left - left) / plotWidth) * (xDomain[1] - xDomain[0]);
    let best = curve[0];
    for (const p of curve) {
      if (Math.abs(p.threshold - v) < Math.abs(best.threshold - v)) {
        best = p;
      }
    }
    return best;
  };
  svg.addEventListener('mousemove', (event) => {
    const p = nearest(event);
    const x = top.x(p.threshold);
    cursor.setAttribute('x1', x);
    cursor.setAttribute('x2', x);
    cursor.setAttribute('visibility', 'visible');
    readout.textContent = 'At ' + thr(p.threshold) + ': hit rate ' + pct(p.hit_rate) + ', false-hit rate '
      + (p.false_hit_rate == null ? 'not known (no audits)' : pct(p.false_hit_rate) + ' (' + pct(p.lower) + ' – '
      + pct(p.upper) + ', ' + p.audited + ' audited)') + (p.covered ? '' : ', below the audit floor')
      + '. Click to use it.';
  });
  svg.addEventListener('mouseleave', () => {
    cursor.setAttribute('visibility', 'hidden');
    readout.textContent = '';
  });
  svg.addEventListener('click', (event) => {
    const input = $('threshold-input');
    input.value = thr(nearest(event).threshold);
    input.dataset.edited = 'true';
    input.focus();
  });
}

/** Stacked histogram of similarity; the 200 bins of the API are merged so that at most ~80 bars show. */
function drawHistogram(container, histograms, layers, threshold, emptyText) {
  const n = histograms ? histograms.bins : 0;
  const series = layers.map((l) => (histograms && histograms[l.key]) || []);
  const total = series.reduce((sum, s) => sum + s.reduce((a, b) => a + b, 0), 0);
  if (!n || total === 0) {
    empty(container, emptyText);
    return;
  }
  const binWidth = histograms.bin_width;
  let first = n;
  for (const s of series) {
    const i = s.findIndex((c) => c > 0);
    if (i >= 0) {
      first = Math.min(first, i);
    }
  }
  const lo = Math.min(0.5, Math.floor(first * binWidth * 10) / 10);
  const merge = Math.max(1, Math.ceil((1 - lo) / binWidth / 80));
  const width = binWidth * merge;
  const x0s = [];
  const merged = series.map(() => []);
  for (let i = Math.round(lo / binWidth); i < n; i += merge) {
    x0s.push(i * binWidth);
    series.forEach((s, k) => {
      let c = 0;
      for (let j = i; j < Math.min(n, i + merge); j++) {
        c += s[j] || 0;
      }
      merged[k].push(c);
    });
  }
  const tallest = Math.max(1, ...x0s.map((_, i) => merged.reduce((sum, m) => sum + m[i], 0)));
  const [svg, svgWidth] = newSvg(container, 200);
  const plot = new Plot(svg, { left: 44, top: 16, width: svgWidth - 60, height: 150 }, [lo, 1], [0, tallest * 1.1]);
  plot.axes((v) => v.toFixed(2), (v) => (Number.isInteger(v) ? count(v) : ''), { xTicks: 5, yTicks: 4 });
  plot.stackedBars(x0s, width, layers.map((l, k) => ({ values: merged[k], className: l.className, label: l.label })));
  plot.vline(threshold, 'threshold ' + thr(threshold), 'current', threshold > lo + (1 - lo) * 0.6);
  legend(container, layers.map((l) => [l.className, l.label]));
}

// ------------------------------------------------------------------ the page

const state = {
  namespace: null,
  generation: 0,
  timer: null,
};

function chooseNamespace(names) {
  const select = $('namespace');
  const wanted = decodeURIComponent(location.hash.slice(1)) || state.namespace
    || sessionStorage.getItem(NAMESPACE_STORAGE);
  const chosen = names.includes(wanted) ? wanted : names[0] || null;
  const current = Array.from(select.options).map((o) => o.value);
  if (current.join('\n') !== names.join('\n')) {
    select.replaceChildren(...names.map((n) => new Option(n, n)));
  }
  if (chosen != null) {
    select.value = chosen;
  }
  state.namespace = chosen;
  return chosen;
}

function renderFigures(stats, analysis) {
  setText('hit-rate', pct(stats.hit_rate));
  setText('lookups', count(stats.lookups));
  setText('hits', count(stats.exact_hits + stats.semantic_hits));
  setText('exact-hits', count(stats.exact_hits));
  setText('semantic-hits', count(stats.semantic_hits));
  setText('misses', count(stats.misses));
  setText('entries', count(stats.entries));
  setText('stores', count(stats.stores));
  const audits = stats.audits || {};
  setText('audited', count(audits.audited));
  setText('feedback-false-hits', count(audits.feedback_false_hits));

  const fhr = stats.false_hit_rate || {};
  const target = stats.target_false_hit_rate;
  setText('false-hit-rate', fhr.estimate == null ? 'not audited' : pct(fhr.estimate));
  setText('false-hit-interval', fhr.estimate == null ? DASH : pct(fhr.lower) + ' – ' + pct(fhr.upper));
  setText('audited-hits', count(fhr.audited_hits != null ? fhr.audited_hits : audits.audited_hits));
  setText('target-false-hit-rate', pct(target));
  $('false-hit-detail').hidden = fhr.estimate == null;
  $('false-hit-none').hidden = fhr.estimate != null;
  // Green only when the whole interval is under target; red when all of it is over.
  const verdict = fhr.estimate == null ? 'unknown' : fhr.upper <= target ? 'good' : fhr.lower > target ? 'bad' : 'unsure';
  $('false-hit-card').className = 'figure big ' + verdict;

  setText('threshold-current', thr(stats.threshold));
  const recommended = analysis.recommended_threshold;
  setText('threshold-recommended', recommended == null ? 'none' : thr(recommended));
  $('threshold-recommended').classList.toggle('none', recommended == null);
  const apply = $('recommended-apply');
  apply.disabled = recommended == null || Math.abs(recommended - stats.threshold) < 1e-9;
  apply.textContent = recommended == null ? 'Apply' : 'Apply ' + thr(recommended);
  setText('recommendation', analysis.recommendation || '');
  setText('since', stats.since ? new Date(stats.since).toLocaleString('en-GB') : DASH);

  const input = $('threshold-input');
  if (input.dataset.edited !== 'true' && document.activeElement !== input) {
    input.value = thr(stats.threshold);
  }
  renderVerified(analysis);
}

/** The figures of per-entry verification, shown for a namespace whose decision is 'verified'. */
function renderVerified(analysis) {
  const v = analysis.verified;
  const on = analysis.decision === 'verified' && v != null;
  $('verified-panel').hidden = !on;
  if (!on) {
    return;
  }
  setText('verified-decision', 'verified');
  setText('verified-bound', pct(v.max_false_hit_rate));
  setText('verified-confidence', pct(v.confidence, 0));
  const m = v.measured_false_hit_rate || {};
  setText('verified-wrong', m.estimate == null ? 'not audited' : pct(m.estimate));
  setText('verified-wrong-interval', m.estimate == null ? DASH : pct(m.lower) + ' – ' + pct(m.upper));
  setText('verified-audited-hits', count(m.audited_hits));
  // Green only when the whole interval is under the bound; red when all of it is over.
  const verdict = m.estimate == null ? '' : m.upper <= v.max_false_hit_rate ? ' good'
    : m.lower > v.max_false_hit_rate ? ' bad' : ' unsure';
  $('verified-wrong-card').className = 'figure' + verdict;
  setText('verified-explore-rate', v.explore_rate == null ? DASH : pct(v.explore_rate));
  setText('verified-explores', count(v.explores));
  setText('verified-lookups', count(v.lookups));
  setText('verified-cold', count(v.cold_entries));
  setText('verified-entries', count(v.entries));
  setText('verified-cold-from', v.cold_serves_from == null ? 'nowhere yet' : 'similarity ' + thr(v.cold_serves_from));
}

function renderCharts(stats, analysis) {
  drawCurve($('chart-curve'), analysis, $('curve-readout'));
  drawSeries($('chart-series'), stats.series);
  drawHistogram($('chart-lookups'), stats.histograms, [
    { key: 'hits', className: 'hit-bar', label: 'hits' },
    { key: 'misses', className: 'miss-bar', label: 'misses' },
  ], stats.threshold, 'No lookups yet.');
  drawHistogram($('chart-audits'), stats.histograms, [
    { key: 'correct', className: 'correct-bar', label: 'correct' },
    { key: 'false_hits', className: 'false-bar', label: 'false' },
  ], stats.threshold, 'No audits yet.');
}

let lastData = null;

async function refresh() {
  clearTimeout(state.timer);
  const generation = ++state.generation;
  try {
    const list = await api('GET', '/v1/namespaces');
    const ns = chooseNamespace(list.namespaces || []);
    if (ns == null) {
      setStatus('empty', 'No namespaces yet: the first store creates one.');
      return;
    }
    const [stats, analysis] = await Promise.all([api('GET', nsPath(ns) + '/stats'), api('GET', nsPath(ns) + '/analysis')]);
    if (generation !== state.generation) {
      return; // a newer refresh (another namespace, a new key) has started
    }
    lastData = { stats, analysis };
    renderFigures(stats, analysis);
    renderCharts(stats, analysis);
    setStatus('ok', 'Updated ' + clock(new Date()));
  } catch (e) {
    if (generation !== state.generation) {
      return;
    }
    if (e.status === 401) {
      setStatus('error', 'This server needs an API key: enter one above (' + e.message + ').');
    } else if (e.status === 403) {
      setStatus('error', 'This key may not read it: ' + e.message);
    } else {
      setStatus('error', 'Could not load: ' + e.message);
    }
  } finally {
    if (generation === state.generation) {
      state.timer = setTimeout(refresh, REFRESH_MS);
    }
  }
}

async function applyThreshold(value) {
  const ns = state.namespace;
  if (ns == null) {
    setMessage('bad', 'There is no namespace to change.');
    return;
  }
  if (!isFinite(value)) {
    setMessage('bad', 'Enter the threshold as a number, e.g. 0.92.');
    return;
  }
  setMessage('busy', 'Applying…');
  try {
    const config = await api('PUT', nsPath(ns), { threshold: value });
    const input = $('threshold-input');
    delete input.dataset.edited;
    input.value = thr(config.threshold);
    setMessage('good', 'Threshold of ' + ns + ' is now ' + thr(config.threshold) + '.');
    await refresh();
  } catch (e) {
    setMessage('bad', 'Not applied: ' + e.message + (e.status === 401 || e.status === 403
      ? ' (changing the threshold needs an admin key)' : ''));
  }
}

function start() {
  const readout = document.createElement('p');
  readout.id = 'curve-readout';
  readout.className = 'readout';
  $('chart-curve').after(readout);

  $('namespace').addEventListener('change', (event) => {
    state.namespace = event.target.value;
    sessionStorage.setItem(NAMESPACE_STORAGE, state.namespace);
    history.replaceState(null, '', '#' + encodeURIComponent(state.namespace));
    delete $('threshold-input').dataset.edited;
    setMessage('', '');
    refresh();
  });
  window.addEventListener('hashchange', refresh);

  const keyInput = $('api-key');
  const showKeyState = () => {
    const has = sessionStorage.getItem(KEY_STORAGE) != null;
    keyInput.placeholder = has ? 'key in use for this tab' : 'only if the server has keys';
    $('api-key-save').textContent = has ? 'Change key' : 'Use key';
  };
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (key) {
      sessionStorage.setItem(KEY_STORAGE, key);
    } else {
      sessionStorage.removeItem(KEY_STORAGE);
    }
    keyInput.value = '';
    showKeyState();
    setMessage('', '');
    refresh();
  });
  showKeyState();

  const input = $('threshold-input');
  input.addEventListener('input', () => {
    input.dataset.edited = 'true';
  });
  $('threshold-form').addEventListener('submit', (event) => {
    event.preventDefault();
    applyThreshold(input.value.trim() === '' ? NaN : Number(input.value));
  });
  $('recommended-apply').addEventListener('click', () => {
    if (lastData && lastData.analysis.recommended_threshold != null) {
      applyThreshold(lastData.analysis.recommended_threshold);
    }
  });

  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => lastData && renderCharts(lastData.stats, lastData.analysis), 150);
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      refresh();
    }
  });
  refresh();
}

start();
