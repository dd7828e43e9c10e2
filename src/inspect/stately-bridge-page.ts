/**
 * The page the user opens for `--inspect`: it embeds the hosted Stately inspector and hands it the
 * events that arrive on our loopback WebSocket, as @statelyai/inspect's own relay page does. Events
 * that arrive before the inspector says it is ready are held, then replayed.
 */
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

export function statelyBridgePage(socketPath: string): string {
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>actorrent · Stately inspector</title>
<link rel="icon" href="data:,">
<style>* { margin: 0; padding: 0; } html, body { height: 100%; } iframe { width: 100%; height: 100%; border: none; }</style>
</head>
<body>
<iframe id="inspector" src="${STATELY_INSPECTOR_URL}"></iframe>
<script>
  const iframe = document.getElementById('inspector');
  const held = [];
  let ready = false;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === '@statelyai.connected') {
      ready = true;
      for (const event of held.splice(0)) iframe.contentWindow.postMessage(event, '*');
    }
  });
  const ws = new WebSocket('ws://' + location.host + ${JSON.stringify(socketPath)});
  ws.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (ready) iframe.contentWindow.postMessage(event, '*');
    else held.push(event);
  };
</script>
</body>
</html>
`;
}
