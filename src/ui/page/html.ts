/** The dashboard's one page; everything it needs is served by actorrent (no CDN, no fonts, no favicon fetch). */
export const DASHBOARD_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>actorrent · live</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header id="top">
  <h1>actorrent <span>live</span></h1>
  <span id="connection" class="connection connecting">connecting…</span>
  <span id="summary"></span>
</header>
<main>
  <section id="torrents-section">
    <h2>Torrents</h2>
    <p id="no-torrents" class="hint">No torrents in this run (a tracker shows only its statechart).</p>
    <div id="torrents"></div>
  </section>
  <section id="actors-section">
    <h2>Actors <span class="hint">every actor's statechart, its current states highlighted; hover a state for its transitions</span></h2>
    <div id="actors"></div>
  </section>
</main>
<script src="/app.js"></script>
</body>
</html>
`;
