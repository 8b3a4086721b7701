// The rlft dashboard: polls the JSON API and draws the run's curves, the actor health table and
// recent completions. State that tests read is kept in the DOM: each chart's data-points and
// data-rendered, each health row's class and data-status, body's data-polls.
'use strict';

const CHARTS = [
  {id: 'reward', title: 'Reward and accuracy', phase: 'grpo', series: [
    {key: 'reward', label: 'reward'}, {key: 'accuracy', label: 'accuracy'}, {key: 'prm_score_mean', label: 'PRM step score'}]},
  {id: 'kl', title: 'KL to reference (nats/token)', phase: 'grpo', series: [{key: 'kl', label: 'kl'}]},
  {id: 'entropy', title: 'Entropy (nats/token)', phase: 'grpo', series: [{key: 'entropy', label: 'entropy'}]},
  {id: 'loss', title: 'GRPO loss', phase: 'grpo', series: [{key: 'loss', label: 'loss'}, {key: 'pg_loss', label: 'policy loss'}]},
  {id: 'clip', title: 'Clip fraction', phase: 'grpo', series: [{key: 'clip_frac', label: 'clip fraction'}]},
  {id: 'grad', title: 'Gradient norm', phase: 'grpo', series: [{key: 'grad_norm', label: 'grad norm'}]},
  {id: 'throughput', title: 'Tokens per second', phase: 'grpo', series: [
    {key: 'gen_tokens_per_s', label: 'generated'},
    {key: r => r.tokens / r.train_seconds, label: 'trained'}]},
  {id: 'staleness', title: 'Staleness and weight version', phase: 'grpo', series: [
    {key: 'staleness', label: 'staleness'}, {key: 'weight_version', label: 'weight version', axis: 'y2'}]},
  {id: 'steps', title: 'Reasoning steps (process mode)', phase: 'grpo', optional: true, series: [
    {key: 'steps_mean', label: 'steps per completion'}, {key: 'step_chars_mean', label: 'chars per step', axis: 'y2'}]},
  {id: 'sft', title: 'SFT loss', phase: 'sft', optional: true, series: [{key: 'loss', label: 'loss'}]},
];
const COLORS = ['#1a73e8', '#e8710a', '#188038', '#a142f4', '#d01884'];

const state = {after: 0, refreshMs: 2000, charts: {}, polls: 0};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function setupCharts() {
  const box = document.getElementById('charts');
  const haveChartJs = typeof window.Chart === 'function';
  document.body.dataset.chartjs = haveChartJs ? 'ok' : 'missing';
  for (const spec of CHARTS) {
    const canvas = el('canvas');
    const empty = el('div', {class: 'empty'}, 'waiting for data');
    const div = el('div', {class: 'chart', id: 'chart-' + spec.id, dataset: {metric: spec.id, points: '0', rendered: 'false'}},
      canvas, empty);
    box.append(div);
    if (spec.optional) div.hidden = true;
    if (!haveChartJs) continue;
    const chart = new window.Chart(canvas, {
      type: 'line',
      // later series dashed and drawn on top, so a line that coincides with another (reward =
      // accuracy under the plain accuracy reward) stays visible
      data: {datasets: spec.series.map((s, i) => ({label: s.label, data: [], borderColor: COLORS[i % COLORS.length],
        backgroundColor: COLORS[i % COLORS.length], pointRadius: 0, borderWidth: 1.5, borderDash: i === 0 ? [] : [6, 3],
        order: spec.series.length - i, yAxisID: s.axis || 'y'}))},
      options: {
        animation: false, parsing: false, normalized: true, maintainAspectRatio: false, responsive: true,
        plugins: {title: {display: true, text: spec.title}, legend: {labels: {boxWidth: 12}}},
        scales: {
          x: {type: 'linear', title: {display: true, text: 'step'}, ticks: {precision: 0}},
          y: {type: 'linear'},
          ...(spec.series.some(s => s.axis === 'y2') ? {y2: {type: 'linear', position: 'right', grid: {drawOnChartArea: false}}} : {}),
        },
      },
      plugins: [{id: 'rendered', afterRender: c => { div.dataset.rendered = 'true'; div.dataset.renders = String(Number(div.dataset.renders || 0) + 1); }}],
    });
    state.charts[spec.id] = {spec, chart, div, empty};
  }
}

function valueOf(record, key) {
  const v = typeof key === 'function' ? key(record) : record[key];
  return typeof v === 'number' && isFinite(v) ? v : null;
}

function addRecords(records) {
  let changed = false;
  for (const r of records) {
    for (const {spec, chart, div} of Object.values(state.charts)) {
      if (r.phase !== spec.phase) continue;
      spec.series.forEach((s, i) => {
        const y = valueOf(r, s.key);
        if (y !== null) {
          chart.data.datasets[i].data.push({x: r.step, y});
          if (spec.optional) div.hidden = false;
          changed = true;
        }
      });
    }
  }
  for (const {chart, div, empty} of Object.values(state.charts)) {
    const points = chart.data.datasets.reduce((n, d) => n + d.data.length, 0);
    div.dataset.points = String(points);
    empty.hidden = points > 0;
    if (changed) chart.update('none');
  }
}

function fmt(v, digits) {
  return v === undefined || v === null || v < 0 ? '–' : Number(v).toFixed(digits);
}

function renderHealth(h) {
  const overall = document.getElementById('overall');
  overall.textContent = 'health: ' + h.status;
  overall.className = 'badge status-' + h.status;
  const ready = document.getElementById('ready');
  ready.textContent = 'ready: ' + (h.ready ? 'yes' : 'no');
  ready.className = 'badge ' + (h.ready ? 'ready-yes' : 'ready-no');
  ready.title = h.ready ? 'the run has started and no essential actor is down' : h.reason;
  document.body.dataset.health = h.status;
  const body = document.querySelector('#health tbody');
  body.replaceChildren(...h.actors.map(a => el('tr', {class: 'status-' + a.status,
      dataset: {actor: a.actor, role: a.role, status: a.status, restarts: String(a.restarts)}},
    el('td', {}, a.actor),
    el('td', {}, a.role),
    el('td', {title: a.reason}, el('span', {class: 'status'}, el('span', {class: 'dot status-' + a.status}), a.status + ' – ' + a.reason)),
    el('td', {class: 'num'}, a.queue < 0 ? '–' : a.queue),
    el('td', {class: 'num'}, a.busy_s > 0 ? fmt(a.busy_s, 1) + ' s' : '–'),
    el('td', {class: 'num'}, a.idle_s < 0 ? 'never worked' : fmt(a.idle_s, 1) + ' s'),
    el('td', {class: 'num'}, a.restarts),
    el('td', {class: 'num'}, a.weight_version < 0 ? '–' : 'v' + a.weight_version),
    el('td', {class: 'num'}, a.messages),
    el('td', {class: 'num'}, fmt(a.last_seen_s, 1) + ' s ago'),
    el('td', {class: 'muted'}, a.node))));
}

function stepColor(score) {
  const s = Math.max(0, Math.min(1, score));
  return 'hsl(' + Math.round(120 * s) + ', 65%, 86%)';
}

function renderSamples(list) {
  const box = document.getElementById('samples');
  box.replaceChildren(...list.map(s => {
    const correct = s.correct === true;
    const card = el('div', {class: 'sample ' + (correct ? 'correct' : 'wrong'),
      dataset: {phase: s.phase, step: String(s.step ?? ''), correct: String(correct)}});
    card.append(el('div', {class: 'meta'},
      el('span', {class: 'verdict'}, correct ? '✓ right' : '✗ wrong'),
      el('span', {}, s.phase + (s.step !== undefined ? ' step ' + s.step : '') + (s.id ? ' · ' + s.id : '')),
      s.answer !== undefined && s.answer !== null ? el('span', {}, 'true answer: ' + s.answer) : ''));
    if (s.prompt) card.append(el('div', {class: 'prompt'}, s.prompt.trim()));
    const body = el('pre', {class: 'completion'});
    if (Array.isArray(s.steps) && Array.isArray(s.step_scores) && s.steps.length === s.step_scores.length && s.steps.length > 0) {
      s.steps.forEach((text, i) => {
        const span = el('span', {class: 'step', title: 'step reward ' + s.step_scores[i].toFixed(3),
          dataset: {score: String(s.step_scores[i])}}, el('span', {class: 'score'}, s.step_scores[i].toFixed(2)), text);
        span.style.background = stepColor(s.step_scores[i]);
        body.append(span);
      });
    } else {
      body.textContent = s.completion;
    }
    card.append(body);
    return card;
  }));
  document.body.dataset.samples = String(list.length);
}

async function getJson(path) {
  const res = await fetch(path, {cache: 'no-store', credentials: 'same-origin'});
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}

async function poll() {
  try {
    const [m, h, s] = await Promise.all([getJson('api/metrics?after=' + state.after), getJson('api/health'),
      getJson('api/samples')]);
    addRecords(m.records);
    state.after = m.last;
    document.getElementById('run').textContent = m.run;
    document.getElementById('phase').textContent = 'phase: ' + (m.phase || '–');
    renderHealth(h);
    renderSamples(s.samples);
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    document.getElementById('error').hidden = true;
    state.polls++;
    document.body.dataset.polls = String(state.polls);
  } catch (e) {
    const err = document.getElementById('error');
    err.textContent = 'cannot reach the run: ' + e.message;
    err.hidden = false;
    document.body.dataset.error = e.message;
  }
  setTimeout(poll, state.refreshMs);
}

async function start() {
  setupCharts();
  try {
    const cfg = await getJson('api/config');
    state.refreshMs = cfg.refresh_ms;
  } catch (e) {
    // keep the default refresh
  }
  poll();
}

start();
