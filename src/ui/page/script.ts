/**
 * The dashboard's browser code, served as /app.js. Plain ES2020 without modules or libraries; all
 * text from the run (peer client names come from remote peers) goes through textContent, never HTML.
 * It listens on the WebSocket for `hello` (charts, actors, torrents) and `state` (each tick).
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var charts = {};
  var cards = {};      // actor id -> { el, states: [{ path, el }], status, footer }
  var torrents = {};   // torrent id -> { el, parts, pieces, history }
  var MACHINE_ORDER = ['tracker-server', 'server', 'torrent', 'file-manager', 'client', 'tracker-client', 'downloader', 'uploader', 'peer'];
  var HISTORY = 150;

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function bytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
  }
  function rate(n) { return bytes(n) + '/s'; }

  // ---- statecharts ----

  function drawState(state, card, isInitial) {
    var box = el('div', 'st ' + state.type + (state.path === '' ? ' root' : '') + (isInitial ? ' initial' : '') + (state.states.length ? '' : ' leaf'));
    box.dataset.path = state.path;
    box.appendChild(el('div', 'st-name', state.key + (state.type === 'parallel' ? ' ‖' : '')));
    if (state.transitions.length) box.title = state.transitions.join('\n');
    if (state.states.length) {
      var kids = el('div', 'kids');
      state.states.forEach(function (child) { kids.appendChild(drawState(child, card, state.type !== 'parallel' && child.key === state.initial)); });
      box.appendChild(kids);
    }
    card.states.push({ path: state.path, el: box });
    return box;
  }

  function groupFor(label) {
    var id = 'group-' + label.replace(/[^A-Za-z0-9_-]/g, '_');
    var group = document.getElementById(id);
    if (!group) {
      group = el('div', 'group');
      group.id = id;
      group.dataset.label = label;
      group.appendChild(el('h3', '', label));
      group.appendChild(el('div', 'cards'));
      var all = document.getElementById('actors');
      var after = Array.prototype.find.call(all.children, function (g) { return g.dataset.label > label; });
      all.insertBefore(group, after || null);
    }
    return group.querySelector('.cards');
  }

  function addCard(actor) {
    var chart = charts[actor.machine];
    var card = { states: [], status: '' };
    card.el = el('div', 'card');
    card.el.dataset.actorId = actor.id;
    card.el.dataset.machine = actor.machine;
    card.el.dataset.label = actor.label;
    card.el.dataset.order = String(MACHINE_ORDER.indexOf(actor.machine));
    var head = el('header');
    head.appendChild(el('b', '', actor.machine));
    if (actor.name !== actor.machine && !/^x:\d+$/.test(actor.name)) head.appendChild(el('span', 'name', actor.name));
    card.statusEl = el('span', 'status');
    head.appendChild(card.statusEl);
    card.el.appendChild(head);
    if (chart) {
      card.el.title = chart.title;
      card.el.appendChild(drawState(chart.root, card, false));
    }
    card.footer = el('footer');
    card.el.appendChild(card.footer);
    var list = groupFor(actor.label);
    var order = Number(card.el.dataset.order);
    var before = Array.prototype.find.call(list.children, function (c) { return Number(c.dataset.order) > order; });
    list.insertBefore(card.el, before || null);
    cards[actor.id] = card;
    return card;
  }

  function updateActors(actors) {
    var seen = {};
    actors.forEach(function (actor) {
      seen[actor.id] = true;
      var card = cards[actor.id] || addCard(actor);
      var active = {};
      actor.active.forEach(function (p) { active[p] = true; });
      card.states.forEach(function (s) { s.el.classList.toggle('on', s.path === '' || active[s.path] === true); });
      card.el.dataset.status = actor.status;
      card.el.dataset.state = actor.active.join(' ');
      card.el.classList.toggle('ended', actor.status !== 'active');
      card.statusEl.textContent = actor.status === 'active' ? '' : actor.status;
      card.footer.textContent = actor.lastEvent ? 'last event: ' + actor.lastEvent + ' · ' + actor.transitions + ' snapshots' : 'no transition yet';
    });
    Object.keys(cards).forEach(function (id) {
      if (seen[id]) return;
      var list = cards[id].el.parentNode;
      cards[id].el.remove();
      delete cards[id];
      if (list && list.children.length === 0) list.parentNode.remove();
    });
    document.getElementById('summary').textContent = actors.length + ' actors';
  }

  // ---- torrents ----

  function addTorrent(t) {
    var view = { pieces: '', history: [] };
    view.el = el('div', 'torrent');
    view.el.dataset.torrentId = t.id;
    view.el.dataset.label = t.label;
    var title = el('div', 'title');
    title.appendChild(el('b', '', t.label));
    view.name = title.appendChild(el('span', '', t.name));
    view.state = title.appendChild(el('span', 'badge state'));
    view.count = title.appendChild(el('span'));
    view.rates = title.appendChild(el('span'));
    view.totals = title.appendChild(el('span', 'hint'));
    view.el.appendChild(title);
    var bar = el('div', 'progress');
    view.bar = bar.appendChild(el('div'));
    view.el.appendChild(bar);
    var graphs = el('div', 'graphs');
    var pf = el('figure');
    var pc = el('figcaption', '', 'pieces');
    var legend = el('span', 'legend');
    [['have', 'var(--have)'], ['verifying', 'var(--verifying)'], ['in flight', 'var(--partial)'], ['missing', 'var(--missing)'], ['not wanted', 'var(--unwanted)']].forEach(function (l) {
      var i = el('i'); i.style.background = l[1]; legend.appendChild(i); legend.appendChild(document.createTextNode(l[0]));
    });
    pc.appendChild(legend);
    pf.appendChild(pc);
    view.pieceCanvas = pf.appendChild(el('canvas', 'pieces'));
    graphs.appendChild(pf);
    var rf = el('figure');
    var rc = el('figcaption', '', 'rates ');
    var rl = el('span', 'legend');
    var d = el('i'); d.style.background = 'var(--down)'; rl.appendChild(d); rl.appendChild(document.createTextNode('download'));
    var u = el('i'); u.style.background = 'var(--up)'; rl.appendChild(u); rl.appendChild(document.createTextNode('upload'));
    rc.appendChild(rl);
    rf.appendChild(rc);
    view.rateCanvas = rf.appendChild(el('canvas', 'rates'));
    graphs.appendChild(rf);
    view.el.appendChild(graphs);
    var table = el('table', 'peers');
    var head = table.appendChild(el('thead')).appendChild(el('tr'));
    ['peer', 'direction', 'source', 'client', 'state', 'flags', '↓ rate', '↑ rate', '↓ total', '↑ total'].forEach(function (h) { head.appendChild(el('th', '', h)); });
    view.peers = table.appendChild(el('tbody'));
    view.el.appendChild(table);
    document.getElementById('torrents').appendChild(view.el);
    document.getElementById('no-torrents').hidden = true;
    torrents[t.id] = view;
    return view;
  }

  function flag(text, set, why) {
    var f = el('span', 'flag' + (set ? ' set' : ''), text);
    f.title = why + (set ? '' : ' (no)');
    return f;
  }

  function updateTorrent(t) {
    var view = torrents[t.id] || addTorrent(t);
    view.el.dataset.state = t.state;
    view.state.textContent = t.state;
    view.count.textContent = t.have + ' / ' + t.total + ' pieces';
    view.rates.textContent = '↓ ' + rate(t.downloadRate) + '   ↑ ' + rate(t.uploadRate);
    view.totals.textContent = 'got ' + bytes(t.downloaded) + ', sent ' + bytes(t.uploaded) + ', ' + t.peers.length + ' peer' + (t.peers.length === 1 ? '' : 's') +
      (t.incoming ? '; incoming ' + t.incoming.accepted + ' accepted, ' + t.incoming.rejected + ' refused, ' + t.incoming.evicted + ' evicted' : '');
    view.bar.style.width = (t.total ? (100 * t.have) / t.total : 100) + '%';
    if (t.history) view.history = t.history.slice(-HISTORY);
    if (t.sample) { view.history.push(t.sample); if (view.history.length > HISTORY) view.history.shift(); }
    if (typeof t.pieces === 'string') view.pieces = t.pieces;
    view.peers.textContent = '';
    t.peers.forEach(function (p) {
      var row = view.peers.appendChild(el('tr'));
      row.dataset.address = p.address;
      row.appendChild(el('td', '', p.address));
      row.appendChild(el('td', '', p.direction + (p.transport === 'utp' ? ' (uTP)' : '')));
      row.appendChild(el('td', '', p.source));
      row.appendChild(el('td', '', p.client || '?'));
      row.appendChild(el('td', '', p.state));
      var flags = row.appendChild(el('td'));
      flags.appendChild(flag('we choke', p.amChoking, 'we are choking them'));
      flags.appendChild(flag('we want', p.amInterested, 'we are interested in their pieces'));
      flags.appendChild(flag('they choke', p.peerChoking, 'they are choking us'));
      flags.appendChild(flag('they want', p.peerInterested, 'they are interested in our pieces'));
      [rate(p.downloadRate), rate(p.uploadRate), bytes(p.downloaded), bytes(p.uploaded)].forEach(function (v) { row.appendChild(el('td', 'num', v)); });
    });
    drawPieces(view);
    drawRates(view);
  }

  var PIECE_COLORS = { h: '--have', v: '--verifying', p: '--partial', m: '--missing', '-': '--unwanted' };
  function color(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'; }

  function drawPieces(view) {
    var canvas = view.pieceCanvas;
    var n = view.pieces.length;
    var width = canvas.clientWidth || 400;
    var cell = Math.max(2, Math.min(16, Math.floor(Math.sqrt((width * 90) / Math.max(1, n)))));
    var cols = Math.max(1, Math.floor(width / cell));
    var rows = Math.max(1, Math.ceil(n / cols));
    canvas.width = width;
    canvas.height = Math.min(rows * cell, 600);
    var ctx = canvas.getContext('2d');
    var colors = {};
    Object.keys(PIECE_COLORS).forEach(function (k) { colors[k] = color(PIECE_COLORS[k]); });
    var gap = cell > 4 ? 1 : 0;
    for (var i = 0; i < n; i++) {
      ctx.fillStyle = colors[view.pieces[i]] || '#888';
      ctx.fillRect((i % cols) * cell, Math.floor(i / cols) * cell, cell - gap, cell - gap);
    }
  }

  function drawRates(view) {
    var canvas = view.rateCanvas;
    var width = canvas.clientWidth || 400;
    var height = 110;
    canvas.width = width;
    canvas.height = height;
    var ctx = canvas.getContext('2d');
    var h = view.history;
    var max = 1;
    h.forEach(function (s) { max = Math.max(max, s[1], s[2]); });
    max *= 1.1;
    ctx.strokeStyle = color('--line');
    ctx.beginPath(); ctx.moveTo(0, height - 0.5); ctx.lineTo(width, height - 0.5); ctx.stroke();
    [[1, '--down'], [2, '--up']].forEach(function (line) {
      if (h.length < 2) return;
      ctx.strokeStyle = color(line[1]);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      h.forEach(function (s, i) {
        var x = (i / (HISTORY - 1)) * width + (HISTORY - h.length) * (width / (HISTORY - 1));
        var y = height - 2 - (s[line[0]] / max) * (height - 16);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.stroke();
    });
    ctx.fillStyle = color('--dim');
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText('max ' + rate(max / 1.1), 4, 12);
  }

  // ---- the connection ----

  function setConnection(state, text) {
    var c = document.getElementById('connection');
    c.className = 'connection ' + state;
    c.textContent = text;
  }

  function onMessage(message) {
    var data = JSON.parse(message.data);
    if (data.type === 'hello') {
      charts = {};
      data.charts.forEach(function (c) { charts[c.name] = c; });
      document.getElementById('actors').textContent = '';
      document.getElementById('torrents').textContent = '';
      cards = {};
      torrents = {};
    }
    if (data.type === 'hello' || data.type === 'state') {
      updateActors(data.actors);
      data.torrents.forEach(updateTorrent);
    }
  }

  var retry = 1000;
  function connect() {
    var ws = new WebSocket('ws://' + location.host + '/ws');
    ws.onopen = function () { retry = 1000; setConnection('open', 'live'); };
    ws.onmessage = onMessage;
    ws.onclose = function () {
      setConnection('closed', 'the run has ended (or the connection dropped): showing the last state');
      retry = Math.min(retry * 2, 10000);
      setTimeout(connect, retry);
    };
  }
  connect();
})();
`;
