import { DASHBOARD_CSS } from '../../ui/page/style.js';

/** The dashboard's look (statechart cards, colours), plus the daemon's tables and forms. */
export const WEB_CSS = `${DASHBOARD_CSS}
#add { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; margin: 12px 0; }
#problem { color: #ff8080; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--dim); font-weight: normal; }
#torrents tbody tr { cursor: pointer; }
#torrents tbody tr.selected { background: var(--panel); }
td .bar { display: inline-block; width: 120px; height: 6px; background: var(--missing); border-radius: 3px; overflow: hidden; vertical-align: middle; }
td .bar i { display: block; height: 100%; background: var(--have); }
button { background: var(--panel); color: var(--text); border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px; cursor: pointer; }
input[type=text] { background: var(--panel); color: var(--text); border: 1px solid var(--line); border-radius: 4px; padding: 3px 6px; }
.cols { display: flex; flex-wrap: wrap; gap: 16px; }
.cols > div { flex: 1 1 520px; min-width: 320px; }
#pieces { width: 100%; background: #101216; border-radius: 4px; }
`;
