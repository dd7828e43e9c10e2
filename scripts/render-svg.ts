// Renders Mermaid sources to SVG offline: Debian's chromium (driven by playwright-core) runs the
// mermaid package from node_modules; nothing is fetched from the network.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function canRenderSvg(): boolean {
  return existsSync(CHROMIUM);
}

/** SVG text for each source, by name. */
export async function renderMermaidSvgs(sources: Map<string, string>): Promise<Map<string, string>> {
  const mermaidScript = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    // Anything but the inline page would be a request to the outside: refuse it.
    await page.route(/^(?!about:|data:)/, (route) => route.abort());
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ path: mermaidScript });
    const svgs = new Map<string, string>();
    for (const [name, source] of sources) {
      const svg = await page.evaluate(
        async ({ id, text }) => {
          const mermaid = (globalThis as unknown as { mermaid: { initialize(o: object): void; render(id: string, text: string): Promise<{ svg: string }> } }).mermaid;
          mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'default' });
          return (await mermaid.render(id, text)).svg;
        },
        { id: `diagram-${name}`, text: source },
      );
      svgs.set(name, svg);
    }
    return svgs;
  } finally {
    await browser.close();
  }
}
