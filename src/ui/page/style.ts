export const DASHBOARD_CSS = `
:root { color-scheme: dark; --bg: #14161a; --panel: #1d2026; --line: #363b45; --text: #d8dde6; --dim: #8a93a3;
  --on: #2f9e6b; --on-text: #eafff4; --down: #4ea1ff; --up: #ffa24e; --have: #2f9e6b; --partial: #4ea1ff; --verifying: #e8c547; --missing: #3a3f4a; --unwanted: #22252b; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 13px/1.35 system-ui, sans-serif; }
header#top { display: flex; align-items: baseline; gap: 16px; padding: 10px 16px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); z-index: 2; }
h1 { font-size: 18px; margin: 0; } h1 span { color: var(--on); font-weight: normal; }
h2 { font-size: 15px; margin: 16px 0 8px; } h3 { font-size: 13px; margin: 12px 0 6px; color: var(--dim); }
main { padding: 0 16px 24px; }
.hint { color: var(--dim); font-size: 12px; font-weight: normal; }
.connection { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: var(--missing); }
.connection.open { background: var(--on); color: var(--on-text); }
.connection.closed { background: #8a3b3b; }
#summary { color: var(--dim); }
.torrent { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin-bottom: 12px; }
.torrent .title { display: flex; flex-wrap: wrap; gap: 14px; align-items: baseline; }
.torrent .title b { font-size: 14px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; background: var(--missing); font-size: 11px; }
.badge.state { background: var(--on); color: var(--on-text); }
.progress { height: 6px; background: var(--missing); border-radius: 3px; margin: 8px 0; overflow: hidden; }
.progress div { height: 100%; background: var(--have); width: 0; }
.graphs { display: flex; flex-wrap: wrap; gap: 12px; }
.graphs figure { margin: 0; flex: 1 1 380px; min-width: 280px; }
.graphs figcaption { color: var(--dim); font-size: 11px; margin-bottom: 3px; }
.graphs canvas { width: 100%; display: block; background: #101216; border-radius: 4px; }
.legend i { display: inline-block; width: 9px; height: 9px; margin: 0 3px 0 10px; vertical-align: -1px; }
table.peers { border-collapse: collapse; width: 100%; margin-top: 8px; font-size: 12px; }
table.peers th, table.peers td { text-align: left; padding: 2px 8px 2px 0; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.peers th { color: var(--dim); font-weight: normal; }
table.peers td.num { text-align: right; font-variant-numeric: tabular-nums; }
.flag { display: inline-block; padding: 0 4px; margin-right: 2px; border-radius: 3px; background: var(--missing); color: var(--dim); font-size: 11px; }
.flag.set { background: var(--partial); color: #fff; }
.group { margin-bottom: 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; max-width: 100%; }
.card.ended { opacity: 0.45; }
.card > header { display: flex; gap: 8px; align-items: baseline; margin-bottom: 4px; }
.card > header .name { color: var(--dim); font-size: 11px; }
.card > header .status { font-size: 10px; color: var(--dim); }
.card > footer { color: var(--dim); font-size: 10px; margin-top: 4px; }
.st { border: 1px solid var(--line); border-radius: 5px; padding: 2px 5px; margin: 2px; font-size: 11px; min-width: 40px; }
.st.final { border-style: double; border-width: 3px; }
.st.initial > .st-name::before { content: '▸ '; color: var(--dim); }
.st-name { white-space: nowrap; }
.st.on { border-color: var(--on); }
.st.on > .st-name { color: var(--on-text); }
.st.on:not(:has(.st)) , .st.on.leaf { background: var(--on); }
.kids { display: flex; flex-wrap: wrap; gap: 2px; align-items: flex-start; }
.st.parallel > .kids > .st { border-style: dashed; }
.st.root { border: none; padding: 0; margin: 0; }
.st.root > .st-name { display: none; }
`;
