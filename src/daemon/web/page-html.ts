/** The daemon's web UI page; it loads only its own script and style (no CDN, works offline). */
export const WEB_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>actorrent daemon</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/transmission/web/style.css">
</head>
<body>
<header id="top">
  <h1>actorrent <span>daemon</span></h1>
  <span id="summary"></span>
  <span id="problem" role="alert"></span>
</header>
<main>
  <section id="add">
    <label>Add a .torrent <input type="file" id="add-file" accept=".torrent,application/x-bittorrent"></label>
    <form id="add-magnet"><input type="text" id="magnet" placeholder="magnet:?xt=urn:btih:…" size="60"><button type="submit">Add magnet</button></form>
    <label><input type="checkbox" id="add-paused"> add paused</label>
  </section>
  <table id="torrents">
    <thead><tr><th>#</th><th>name</th><th>state</th><th>progress</th><th>↓</th><th>↑</th><th>ratio</th><th>peers</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="no-torrents" class="hint">No torrents yet: add a .torrent file or a magnet link.</p>
  <section id="details" hidden>
    <h2 id="details-name"></h2>
    <div class="cols">
      <div>
        <h3>Pieces</h3><canvas id="pieces"></canvas>
        <h3>Files</h3><table id="files"><thead><tr><th>wanted</th><th>file</th><th>size</th><th>done</th><th>priority</th></tr></thead><tbody></tbody></table>
        <h3>Peers</h3><table id="peers"><thead><tr><th>address</th><th>client</th><th>flags</th><th>↓</th><th>↑</th></tr></thead><tbody></tbody></table>
        <h3>Trackers</h3><table id="trackers"><thead><tr><th>tier</th><th>announce</th><th>last result</th><th>peers</th></tr></thead><tbody></tbody></table>
      </div>
      <div>
        <h3>Statecharts <span class="hint">this torrent's actors, live; hover a state for its transitions</span></h3>
        <div id="actors"></div>
      </div>
    </div>
  </section>
</main>
<script src="/transmission/web/app.js"></script>
</body>
</html>
`;
