/**
 * The web UI's browser code, served as /transmission/web/app.js: plain ES2020, no library. It
 * speaks the daemon's own RPC (JSON-RPC 2.0 with the session-id handshake) for the list, details
 * and actions, and listens on the WebSocket for the watched torrent's statecharts and piece map.
 * Everything from the daemon (names, peer clients, tracker messages) goes in as textContent.
 */
export const WEB_SCRIPT = String.raw`'use strict';
(function () {
  var sessionId = '';
  var selected = null;     // hash of the torrent shown in details
  var charts = {};
  var cards = {};
  var pieces = '';
  var ws = null;
  var STATUS = ['stopped', 'check queued', 'checking', 'queued', 'downloading', 'seed queued', 'seeding'];
  var LIST_FIELDS = ['id', 'hash_string', 'name', 'status', 'percent_done', 'rate_download', 'rate_upload', 'upload_ratio', 'peers_connected', 'error_string', 'size_when_done'];
  var DETAIL_FIELDS = ['hash_string', 'name', 'files', 'file_stats', 'peers', 'tracker_stats'];

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
  function problem(text) { document.getElementById('problem').textContent = text || ''; }

  // ---- the RPC (JSON-RPC 2.0, Transmission 4.1's form) ----
  var nextId = 1;
  function rpc(method, params) {
    var body = JSON.stringify({ jsonrpc: '2.0', method: method, params: params || {}, id: nextId++ });
    function send(retry) {
      return fetch('/transmission/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Transmission-Session-Id': sessionId }, body: body })
        .then(function (res) {
          if (res.status === 409 && retry) { sessionId = res.headers.get('X-Transmission-Session-Id') || ''; return send(false); }
          if (!res.ok) throw new Error('HTTP ' + res.status);
          return res.json();
        });
    }
    return send(true).then(function (answer) {
      if (answer.error) throw new Error((answer.error.data && answer.error.data.error_string) || answer.error.message);
      return answer.result;
    });
  }
  function act(method, params) {
    return rpc(method, params).then(function () { problem(''); refresh(); }, function (err) { problem(method + ': ' + err.message); });
  }

  // ---- the list ----
  function refresh() {
    return rpc('torrent_get', { fields: LIST_FIELDS }).then(function (result) {
      drawList(result.torrents);
      if (selected) return rpc('torrent_get', { ids: [selected], fields: DETAIL_FIELDS }).then(function (r) { drawDetails(r.torrents[0]); });
    }).catch(function (err) { problem('cannot reach the daemon: ' + err.message); });
  }

  function button(text, onClick) {
    var b = el('button', '', text);
    b.dataset.action = text;
    b.addEventListener('click', function (e) { e.stopPropagation(); onClick(); });
    return b;
  }

  function drawList(torrents) {
    var body = document.querySelector('#torrents tbody');
    body.textContent = '';
    document.getElementById('no-torrents').hidden = torrents.length > 0;
    var down = 0, up = 0;
    torrents.forEach(function (t) {
      down += t.rate_download; up += t.rate_upload;
      var row = body.appendChild(el('tr', t.hash_string === selected ? 'selected' : ''));
      row.dataset.hash = t.hash_string;
      row.dataset.status = STATUS[t.status] || String(t.status);
      row.dataset.percent = String(Math.round(t.percent_done * 100));
      row.appendChild(el('td', '', String(t.id)));
      row.appendChild(el('td', 'name', t.name));
      row.appendChild(el('td', 'state', (STATUS[t.status] || t.status) + (t.error_string ? ' (' + t.error_string + ')' : '')));
      var progress = row.appendChild(el('td'));
      var bar = progress.appendChild(el('span', 'bar'));
      bar.appendChild(el('i')).style.width = (t.percent_done * 100).toFixed(1) + '%';
      progress.appendChild(document.createTextNode(' ' + (t.percent_done * 100).toFixed(1) + '% of ' + bytes(t.size_when_done)));
      row.appendChild(el('td', '', bytes(t.rate_download) + '/s'));
      row.appendChild(el('td', '', bytes(t.rate_upload) + '/s'));
      row.appendChild(el('td', '', t.upload_ratio < 0 ? '–' : t.upload_ratio.toFixed(2)));
      row.appendChild(el('td', '', String(t.peers_connected)));
      var actions = row.appendChild(el('td'));
      var ids = { ids: [t.hash_string] };
      actions.appendChild(t.status === 0 ? button('start', function () { act('torrent_start', ids); }) : button('stop', function () { act('torrent_stop', ids); }));
      actions.appendChild(button('verify', function () { act('torrent_verify', ids); }));
      actions.appendChild(button('remove', function () {
        var withData = window.confirm('Also delete the downloaded data of ' + t.name + '?');
        if (selected === t.hash_string) select(null);
        act('torrent_remove', { ids: [t.hash_string], delete_local_data: withData });
      }));
      row.addEventListener('click', function () { select(t.hash_string); });
    });
    document.getElementById('summary').textContent = torrents.length + ' torrents · ↓ ' + bytes(down) + '/s · ↑ ' + bytes(up) + '/s';
  }

  // ---- details ----
  function select(hash) {
    selected = hash;
    document.getElementById('details').hidden = !hash;
    document.getElementById('actors').textContent = '';
    cards = {};
    pieces = '';
    if (hash && ws && ws.readyState === 1) ws.send(JSON.stringify({ watch: hash }));
    refresh();
  }

  function row(table, cells) {
    var tr = document.querySelector(table + ' tbody').appendChild(el('tr'));
    cells.forEach(function (c) { tr.appendChild(typeof c === 'string' ? el('td', '', c) : c); });
    return tr;
  }

  function drawDetails(t) {
    if (!t) return;
    document.getElementById('details-name').textContent = t.name;
    ['#files', '#peers', '#trackers'].forEach(function (id) { document.querySelector(id + ' tbody').textContent = ''; });
    t.files.forEach(function (f, i) {
      var stats = t.file_stats[i];
      var wanted = el('input');
      wanted.type = 'checkbox';
      wanted.checked = stats.wanted;
      wanted.addEventListener('change', function () {
        var p = { ids: [t.hash_string] };
        p[wanted.checked ? 'files_wanted' : 'files_unwanted'] = [i];
        act('torrent_set', p);
      });
      var cell = el('td'); cell.appendChild(wanted);
      var priority = el('select');
      [['-1', 'low'], ['0', 'normal'], ['1', 'high']].forEach(function (o) { var opt = priority.appendChild(el('option', '', o[1])); opt.value = o[0]; });
      priority.value = String(stats.priority);
      priority.addEventListener('change', function () {
        var p = { ids: [t.hash_string] };
        p[{ '-1': 'priority_low', '0': 'priority_normal', '1': 'priority_high' }[priority.value]] = [i];
        act('torrent_set', p);
      });
      var pcell = el('td'); pcell.appendChild(priority);
      row('#files', [cell, f.name, bytes(f.length), (f.length ? (100 * f.bytes_completed / f.length).toFixed(1) : '100') + '%', pcell]).dataset.file = f.name;
    });
    t.peers.forEach(function (p) { row('#peers', [p.address + ':' + p.port, p.client_name || '?', p.flag_str, bytes(p.rate_to_client) + '/s', bytes(p.rate_to_peer) + '/s']); });
    t.tracker_stats.forEach(function (s) { row('#trackers', [String(s.tier), s.announce, s.last_announce_result || '–', String(s.last_announce_peer_count)]); });
  }

  // ---- statecharts and piece map (WebSocket) ----
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

  function drawActors(actors) {
    var all = document.getElementById('actors');
    actors.forEach(function (a) {
      var card = cards[a.id];
      if (!card) {
        card = { states: [] };
        card.el = all.appendChild(el('div', 'card'));
        card.el.dataset.machine = a.machine;
        var head = card.el.appendChild(el('header'));
        head.appendChild(el('b', '', a.machine));
        card.status = head.appendChild(el('span', 'status'));
        if (charts[a.machine]) card.el.appendChild(drawState(charts[a.machine].root, card, false));
        cards[a.id] = card;
      }
      var on = {};
      a.active.forEach(function (p) { on[p] = true; });
      card.states.forEach(function (s) { s.el.classList.toggle('on', s.path === '' || on[s.path] === true); });
      card.el.dataset.status = a.status;
      card.el.classList.toggle('ended', a.status !== 'active');
      card.status.textContent = a.status === 'active' ? '' : a.status;
    });
  }

  var COLORS = { h: '#2f9e6b', v: '#e8c547', p: '#4ea1ff', m: '#3a3f4a', '-': '#22252b' };
  function drawPieces() {
    var canvas = document.getElementById('pieces');
    var n = pieces.length;
    var width = canvas.clientWidth || 400;
    var cell = Math.max(2, Math.min(16, Math.floor(Math.sqrt((width * 60) / Math.max(1, n)))));
    var cols = Math.max(1, Math.floor(width / cell));
    canvas.width = width;
    canvas.height = Math.min(Math.max(1, Math.ceil(n / cols)) * cell, 400);
    var ctx = canvas.getContext('2d');
    for (var i = 0; i < n; i++) {
      ctx.fillStyle = COLORS[pieces[i]] || '#888';
      ctx.fillRect((i % cols) * cell, Math.floor(i / cols) * cell, cell - (cell > 4 ? 1 : 0), cell - (cell > 4 ? 1 : 0));
    }
    canvas.dataset.have = String((pieces.match(/h/g) || []).length);
    canvas.dataset.total = String(n);
  }

  function connect() {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/transmission/web/ws');
    ws.onopen = function () { if (selected) ws.send(JSON.stringify({ watch: selected })); };
    ws.onmessage = function (m) {
      var data = JSON.parse(m.data);
      if (data.type === 'hello') { charts = {}; data.charts.forEach(function (c) { charts[c.name] = c; }); }
      if (data.type === 'state' && data.hash === selected) { drawActors(data.actors); pieces = data.pieces; drawPieces(); }
    };
    ws.onclose = function () { setTimeout(connect, 2000); };
  }

  // ---- adding ----
  document.getElementById('add-file').addEventListener('change', function (e) {
    var file = e.target.files[0];
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () {
      var base64 = String(reader.result).replace(/^data:[^,]*,/, '');
      act('torrent_add', { metainfo: base64, paused: document.getElementById('add-paused').checked });
      e.target.value = '';
    };
    reader.readAsDataURL(file);
  });
  document.getElementById('add-magnet').addEventListener('submit', function (e) {
    e.preventDefault();
    var link = document.getElementById('magnet').value.trim();
    if (link) act('torrent_add', { filename: link, paused: document.getElementById('add-paused').checked });
    document.getElementById('magnet').value = '';
  });

  connect();
  refresh();
  setInterval(refresh, 1000);
})();
`;
