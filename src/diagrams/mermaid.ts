import type { AnyStateMachine } from 'xstate';

/**
 * A Mermaid `stateDiagram-v2` of an XState machine, read from the machine definition itself, so the
 * diagram can never drift from the code: states (compound, parallel regions, final), initial
 * states, and every transition labelled with its event (or `after DELAY`, `always`) and guard.
 */

interface StateNodeLike {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  states: Record<string, StateNodeLike>;
  initial?: { target?: readonly StateNodeLike[] };
  transitions: Map<string, readonly TransitionLike[]>;
  always?: readonly TransitionLike[];
  after: readonly (TransitionLike & { delay: string | number })[];
}

interface TransitionLike {
  eventType: string;
  target?: readonly StateNodeLike[];
  guard?: unknown;
  reenter?: boolean;
}

export function machineToMermaid(machine: AnyStateMachine): string {
  const root = machine.root as unknown as StateNodeLike;
  const lines = ['stateDiagram-v2'];
  if (root.type === 'parallel') {
    // Mermaid draws regions (`--`) only inside a state: a parallel machine gets a box of its own.
    lines.push(`  state "${root.key} (parallel)" as ${nodeName(root)}_regions {`);
    writeChildren(root, lines, '    ');
    lines.push('  }');
  } else {
    writeChildren(root, lines, '  ');
  }
  const rootHasEdges = [...root.transitions.values()].some((ts) => ts.some((t) => t.target?.length)) || (root.always ?? []).length > 0;
  // Handlers on the machine itself apply in every state; they start from this pseudo-state.
  if (rootHasEdges) lines.push(`  state "(any state)" as ${nodeName(root)}`);
  writeTransitions(root, lines, '  ');
  return `${lines.join('\n')}\n`;
}

function nodeName(node: StateNodeLike): string {
  return node.id.replace(/[^A-Za-z0-9_]/g, '_');
}

function writeChildren(node: StateNodeLike, lines: string[], indent: string): void {
  const children = Object.values(node.states);
  if (children.length === 0) return;
  const initial = node.initial?.target?.[0];
  if (node.type !== 'parallel' && initial) lines.push(`${indent}[*] --> ${nodeName(initial)}`);
  children.forEach((child, i) => {
    if (node.type === 'parallel' && i > 0) lines.push(`${indent}--`);
    const name = nodeName(child);
    if (Object.keys(child.states).length > 0) {
      lines.push(`${indent}state "${child.key}${child.type === 'parallel' ? ' (parallel)' : ''}" as ${name} {`);
      writeChildren(child, lines, `${indent}  `);
      lines.push(`${indent}}`);
    } else {
      lines.push(`${indent}state "${child.key}" as ${name}`);
    }
    if (child.type === 'final') lines.push(`${indent}${name} --> [*]`);
  });
}

function writeTransitions(node: StateNodeLike, lines: string[], indent: string): void {
  const delayed = new Set(node.after.map((t) => t.eventType));
  for (const [eventType, transitions] of node.transitions) {
    const label = delayed.has(eventType) ? `after ${String(node.after.find((t) => t.eventType === eventType)!.delay)}` : readableEvent(eventType);
    for (const t of transitions) writeEdge(node, t, label, lines, indent);
  }
  for (const t of node.always ?? []) writeEdge(node, t, 'always', lines, indent);
  for (const child of Object.values(node.states)) writeTransitions(child, lines, indent);
}

function writeEdge(from: StateNodeLike, t: TransitionLike, label: string, lines: string[], indent: string): void {
  if (from.id === from.id.split('.')[0]) {
    // Root-level handlers apply in every state; draw them from the root's own box.
    for (const target of t.target ?? []) lines.push(`${indent}${nodeName(from)} --> ${nodeName(target)}: ${escape(label + guardText(t))}`);
    return;
  }
  const targets = t.target?.length ? t.target : [from];
  for (const target of targets) lines.push(`${indent}${nodeName(from)} --> ${nodeName(target)}: ${escape(label + guardText(t))}`);
}

/** Invoked actors' completion events carry generated ids; name them by what happened. */
function readableEvent(eventType: string): string {
  if (eventType.startsWith('xstate.done.actor.')) return 'invoked actor done';
  if (eventType.startsWith('xstate.error.actor.')) return 'invoked actor failed';
  return eventType;
}

function guardText(t: TransitionLike): string {
  const guard = t.guard;
  if (!guard) return '';
  const name = typeof guard === 'string' ? guard : typeof guard === 'object' && 'type' in guard ? String((guard as { type: unknown }).type) : 'guard';
  return ` [${name}]`;
}

function escape(label: string): string {
  // Mermaid labels end at a newline and treat ':' and ';' specially.
  return label.replace(/[;:]/g, ' ').replace(/\s+/g, ' ').trim();
}
