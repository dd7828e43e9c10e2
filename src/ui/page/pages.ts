import type { Page } from '../loopback-server.js';
import { DASHBOARD_HTML } from './html.js';
import { DASHBOARD_SCRIPT } from './script.js';
import { DASHBOARD_CSS } from './style.js';

/** What the dashboard server answers, by path; the page loads nothing else. */
export const DASHBOARD_PAGES: Record<string, Page> = {
  '/': { contentType: 'text/html; charset=utf-8', body: DASHBOARD_HTML },
  '/app.js': { contentType: 'text/javascript; charset=utf-8', body: DASHBOARD_SCRIPT },
  '/style.css': { contentType: 'text/css; charset=utf-8', body: DASHBOARD_CSS },
};
